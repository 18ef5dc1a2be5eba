"""Schedules: when the syncs run without a person or a webhook asking."""

from schedules.bom_schedules import BOM_SCHEDULES

SCHEDULES: list = [*BOM_SCHEDULES]
