"""Plans as tables: what the plan assets persist (Parquet) and the apply assets read back.

A row per plan item (with the whole item as JSON, so nothing is lost on the way to the apply step),
plus a row per mapping error (op "error": becomes a dead letter when applied) and per conflict
(op "conflict": recorded for a person when applied).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

import pandas as pd

from sync.mapping import MappingError
from sync.plan import Conflict, Plan, PlanItem

COLUMNS = ["entity", "key", "op", "changed_fields", "before", "after", "previous_key", "target_key", "checksum",
           "detail"]


def plan_to_frame(plan: Plan, errors: Sequence[MappingError] = ()) -> pd.DataFrame:
    frame = plan.to_frame()
    frame["detail"] = [json.dumps(item.to_dict(), sort_keys=True) for item in plan.items]
    extra = [
        {"entity": e.entity, "key": e.key, "op": "error", "changed_fields": e.field,
         "detail": json.dumps(asdict(e), sort_keys=True)}
        for e in errors
    ] + [
        {"entity": c.entity, "key": c.key, "op": "conflict", "changed_fields": c.field,
         "before": json.dumps(c.target_value), "after": json.dumps(c.source_value),
         "detail": json.dumps(asdict(c), sort_keys=True, default=str)}
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
