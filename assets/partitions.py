"""Partitions: one BOM-sync partition per released top-level assembly, keyed by its PLM item number."""

import dagster as dg

assemblies = dg.DynamicPartitionsDefinition(name="assemblies")
