"""Partitions: one BOM-sync partition per released top-level assembly, keyed by its PLM item number."""

import dagster as dg

assemblies = dg.DynamicPartitionsDefinition(name="assemblies")

# Maintenance-sync partition: one per EAM site (Maximo siteid). A site is Maximo's unit of work orders,
# storerooms and rowstamp-delta reads, and maps to one ERP plant; runs of two sites never touch the same rows.
sites = dg.DynamicPartitionsDefinition(name="sites")
