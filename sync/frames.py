"""Canonical records and plans <-> pandas frames, in a form Parquet stores faithfully.

Dict fields (e.g. `Part.attributes`) travel as JSON text, because Parquet cannot store an empty struct
and a struct's fields would differ from part to part; tuples travel as lists; Decimals stay Decimals
(pyarrow writes them as exact decimal columns, never floats).

Plans as tables (what the plan assets persist and the apply assets read back): a row per plan item (with
the whole item as JSON, so nothing is lost on the way to the apply step), plus a row per mapping error
(op "error": becomes a dead letter when applied) and per conflict (op "conflict": recorded for a person).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, get_type_hints

import pandas as pd

from sync.mapping import MappingError
from sync.plan import Conflict, Plan, PlanItem
from sync.records import Record

R = TypeVar("R", bound=Record)


def _dict_fields(cls: type) -> set[str]:
    hints = get_type_hints(cls)
    return {f.name for f in dataclasses.fields(cls) if str(hints[f.name]).startswith("dict")}


def records_to_frame(records: Iterable[Record], cls: type[Record]) -> pd.DataFrame:
    columns = [f.name for f in dataclasses.fields(cls)]
    as_json = _dict_fields(cls)
    rows = []
    for record in records:
        row = record.to_row()
        for name in as_json:
            row[name] = json.dumps(row[name] or {}, sort_keys=True)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns).astype({name: object for name in columns})


def frame_to_records(frame: pd.DataFrame, cls: type[R]) -> list[R]:
    as_json = _dict_fields(cls)
    records = []
    for row in frame.to_dict(orient="records"):
        row = {key: _plain(value) for key, value in row.items()}
        for name in as_json:
            if isinstance(row.get(name), str):
                row[name] = json.loads(row[name])
        records.append(cls.from_row(row))
    return records


def _plain(value: Any) -> Any:
    """Undo what pandas/pyarrow do to values: NaN/NaT -> None, numpy scalars/arrays -> Python."""
    if value is None or isinstance(value, (str, Decimal, bool)):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, datetime):
        return value
    if hasattr(value, "tolist"):  # numpy arrays (list columns) and numpy scalars
        return value.tolist()
    return value


# --- plans as tables ---

COLUMNS = [
    "entity",
    "key",
    "op",
    "changed_fields",
    "before",
    "after",
    "previous_key",
    "target_key",
    "checksum",
    "detail",
]


def plan_to_frame(plan: Plan, errors: Sequence[MappingError] = ()) -> pd.DataFrame:
    frame = plan.to_frame()
    frame["detail"] = [json.dumps(item.to_dict(), sort_keys=True) for item in plan.items]
    extra = [
        {
            "entity": e.entity,
            "key": e.key,
            "op": "error",
            "changed_fields": e.field,
            "detail": json.dumps(dataclasses.asdict(e), sort_keys=True),
        }
        for e in errors
    ] + [
        {
            "entity": c.entity,
            "key": c.key,
            "op": "conflict",
            "changed_fields": c.field,
            "before": json.dumps(c.target_value),
            "after": json.dumps(c.source_value),
            "detail": json.dumps(dataclasses.asdict(c), sort_keys=True, default=str),
        }
        for c in plan.conflicts
    ]
    if extra:
        frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
    frame = frame.reindex(columns=COLUMNS).astype(object)
    return frame.where(frame.notna(), None)


def plan_from_frame(frame: pd.DataFrame, spec_version: str | None = None) -> tuple[Plan, list[MappingError]]:
    items, conflicts, errors = [], [], []
    for op, detail in zip(frame["op"], frame["detail"], strict=True):
        data = json.loads(detail)
        if op == "error":
            errors.append(MappingError(**data))
        elif op == "conflict":
            conflicts.append(Conflict(**data))
        else:
            items.append(PlanItem.from_dict(data))
    return Plan(items, conflicts, spec_version), errors


def plan_counts(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame["op"].value_counts().to_dict() if len(frame) else {}
    return {op: int(counts.get(op, 0)) for op in ("create", "update", "delete", "unchanged", "error", "conflict")}
