"""The BOM-sync schedules of every other ERP connection (`mappings/connections.yaml`): the same six-hourly
business-day safety net and weekly full sync as `bom_sync`'s, on the connection's own job, flow and breaker;
each skips, naming the connection, while it is disabled."""

import dagster as dg

from assets.connection_bom_sync import JOB_OF_FLOW, OTHER_CONNECTIONS
from schedules.bom_schedules import build_bom_sync_schedule, build_weekly_full_sync

connection_schedules: list[dg.ScheduleDefinition] = [
    schedule
    for conn in OTHER_CONNECTIONS
    for schedule in (
        build_bom_sync_schedule(job=JOB_OF_FLOW[conn.flow], connection=conn.name),
        build_weekly_full_sync(job=JOB_OF_FLOW[conn.flow], connection=conn.name),
    )
]
