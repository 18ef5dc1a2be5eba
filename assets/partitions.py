"""Partitions: one BOM-sync partition per released top-level assembly, keyed by its PLM item number."""

import dagster as dg

assemblies = dg.DynamicPartitionsDefinition(name="assemblies")

# Maintenance-sync partition: one per EAM site (Maximo siteid). A site is Maximo's unit of work orders,
# storerooms and rowstamp-delta reads, and maps to one ERP plant; runs of two sites never touch the same rows.
sites = dg.DynamicPartitionsDefinition(name="sites")

# The posting flow by day (UTC, by the EAM transaction date): a person backfills a day from the UI; the
# EAM-MT-<id> reference keeps a day posted by both this and the site flow exactly once.
days = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_offset=1)
