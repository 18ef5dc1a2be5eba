"""Bench support: the fewest calls each system's API allows for a scenario's work (the "floor").

PLM (Arena REST v1): a first sync reads one BOM per distinct assembly and one item per distinct part; a
no-op re-sync reads the change feed alone; a delta reads the feed, each new change's affected items, and
for each changed item its new revision and (an assembly) its BOM. Logins and logouts are not in the floor.
ERP (OData $batch): ceil(records written / batch size) `$batch` calls plus the bulk reads the plan needs
(it compares with a fresh read of the ERP: ceil(records of the synced assemblies / read chunk)).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

ERP_BATCH_SIZE = 100  # ERPResource.batch_size
ERP_READ_CHUNK = 40  # ERPResource.read_chunk_size (keys per $filter)


@dataclass(frozen=True)
class Floor:
    plm: int
    erp: int


def first_sync_floor(distinct_parts: int, distinct_assemblies: int, records: int) -> Floor:
    return Floor(distinct_parts + distinct_assemblies, erp_floor(records, records))


def no_op_floor(records: int) -> Floor:
    return Floor(1, erp_floor(0, records))


def delta_floor(changed_items: int, changed_assemblies: int, changes: int, written: int, records: int) -> Floor:
    return Floor(1 + changes + changed_items + changed_assemblies, erp_floor(written, records))


def erp_floor(written: int, compared: int) -> int:
    return ceil(written / ERP_BATCH_SIZE) + ceil(compared / ERP_READ_CHUNK)


def ratio(calls: int, floor: int) -> str:
    if floor == 0:
        return "-" if calls == 0 else f"+{calls}"
    return f"{calls / floor:.2f}"
