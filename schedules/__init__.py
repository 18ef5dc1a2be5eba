"""Schedules: when the syncs run without a person or a webhook asking."""

from schedules.bom_schedules import BOM_SCHEDULES
from schedules.reconciliation import reconciliation_daily

SCHEDULES: list = [*BOM_SCHEDULES, reconciliation_daily]
