"""Triggers that decide WHEN and WHICH partitions: they never do sync work themselves."""

from sensors.assembly_discovery import released_assemblies_sensor
from sensors.plm_changes import plm_change_sensor
from sensors.run_failures import bom_sync_failure_sensor

SENSORS = [released_assemblies_sensor, plm_change_sensor, bom_sync_failure_sensor]
