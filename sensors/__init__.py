"""Triggers that decide WHEN and WHICH partitions: they never do sync work themselves."""

from sensors.assembly_discovery import released_assemblies_sensor

SENSORS = [released_assemblies_sensor]
