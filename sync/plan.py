"""The plan: what to create, update and delete in the target so it matches the mapped source.

Inputs per entity: the desired payloads (mapped source), the state store's `StoredRecord`s (what we
last wrote) and optionally a fresh read of the target (to catch edits made directly in the ERP).

Three-way rule per field (desired D, last written base B, target now T), with a target snapshot:
  D == T -> nothing to write; T == B (or no base known) -> write D;
  T != B (edited in the target) and D != T -> the field's conflict rule decides:
    source_wins: write D | target_wins: keep T | manual: keep T, list a Conflict for a person |
    merge: whichever side changed since B wins, both changed -> manual |
    newest_wins: like merge, but when both changed the later change stamp wins (no stamps -> manual).
Without a snapshot, a record is unchanged when its checksum equals the stored checksum.
An update with no changed fields writes nothing and only records state (the target already agrees).

Deletes: only BOM items. An item stored (or present in the snapshot) under a BOM header this plan
covers (a desired header, or one named in `retired_boms`) that is no longer desired is deleted, unless
it is held back by a mapping error. Retired headers are deleted after their items. Materials are never
deleted by a BOM sync: a part dropping out of one assembly may still be used elsewhere or carry stock.

Order: materials, then one group per BOM (retired BOMs first, then bottom-up by height, children
before parents); within a group: header, item deletes, item updates (renumbers first), creates,
unchanged; a retired header comes after its item deletes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

Payload = dict[str, Any]
OPS = ("create", "update", "delete", "unchanged")
ENTITY_ORDER = ("material", "bom_header", "bom_item")


@dataclass(frozen=True)
class Decision:
    """A field edited directly in the target, and what its conflict rule decided."""

    field: str
    rule: str
    outcome: str  # "source" (written), "target" (kept), "manual" (kept, waiting for a person)
    source_value: Any
    target_value: Any
    base_value: Any


@dataclass(frozen=True)
class Conflict:
    """A field that needs a person: nothing is written for it until one side is changed to agree."""

    entity: str
    key: str
    field: str
    rule: str
    source_value: Any
    target_value: Any
    base_value: Any
    reason: str


@dataclass(frozen=True, slots=True)  # slots: a million-line plan holds millions of these
class PlanItem:
    """One record's operation with its before/after payloads."""

    entity: str
    key: str
    op: str  # create | update | delete | unchanged
    before: Payload | None
    after: Payload | None
    changed_fields: tuple[str, ...] = ()
    checksum: str | None = None  # of `after`
    previous_key: str | None = None  # a renumbered BOM item's key before the renumber
    target_key: str | None = None  # the target's own id, when known from the state store
    decisions: tuple[Decision, ...] = ()

    @property
    def patch(self) -> Payload:
        """The fields to send for an update (all of `after` for a create)."""
        if self.op == "create":
            return dict(self.after or {})
        return {f: (self.after or {}).get(f) for f in self.changed_fields}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanItem:
        data = dict(data)
        data["changed_fields"] = tuple(data.get("changed_fields", ()))
        data["decisions"] = tuple(Decision(**d) for d in data.get("decisions", ()))
        return cls(**data)


@dataclass
class Plan:
    """Plain data: shown as a dry run, applied, audited and replayed."""

    items: list[PlanItem] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    spec_version: str | None = None
    flow: str = ""
    partition: str = ""

    def counts(self) -> dict[str, int]:
        """Operations by kind, plus the number of conflicts waiting for a person."""
        counter = Counter(item.op for item in self.items)
        return {**{op: counter.get(op, 0) for op in OPS}, "conflict": len(self.conflicts)}

    def changes(self) -> list[PlanItem]:
        """Items that touch the target or the state store (everything but unchanged)."""
        return [item for item in self.items if item.op != "unchanged"]

    @property
    def is_noop(self) -> bool:
        """True when applying the plan would change nothing."""
        return not self.changes()

    def to_frame(self) -> Any:
        """pandas DataFrame, one row per item; payloads as canonical JSON strings."""
        import pandas as pd

        dump = _dump_payload
        rows = [
            {
                "entity": i.entity,
                "key": i.key,
                "op": i.op,
                "changed_fields": ",".join(i.changed_fields),
                "before": dump(i.before),
                "after": dump(i.after),
                "previous_key": i.previous_key,
                "target_key": i.target_key,
                "checksum": i.checksum,
            }
            for i in self.items
        ]
        columns = ["entity", "key", "op", "changed_fields", "before", "after", "previous_key", "target_key", "checksum"]
        return pd.DataFrame(rows, columns=columns)

    def to_table_text(self, max_rows: int = 50, include_unchanged: bool = False) -> str:
        """A fixed-width table for the terminal, counts first."""
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items())
        rows = [i for i in self.items if include_unchanged or i.op != "unchanged"]
        lines = [f"plan {self.flow} {self.partition} (spec {self.spec_version}): {counts}".replace("  ", " ")]
        width = max((len(i.key) for i in rows[:max_rows]), default=3)
        lines.append(f"{'op':<9} {'entity':<10} {'key':<{width}}  changed")
        for item in rows[:max_rows]:
            note = ",".join(item.changed_fields) + (f" (was {item.previous_key})" if item.previous_key else "")
            lines.append(f"{item.op:<9} {item.entity:<10} {item.key:<{width}}  {note}")
        if len(rows) > max_rows:
            lines.append(f"... {len(rows) - max_rows} more")
        lines.extend(
            f"CONFLICT {c.entity} {c.key} {c.field}: source {c.source_value!r} vs target "
            f"{c.target_value!r} ({c.rule}: {c.reason})"
            for c in self.conflicts
        )
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {
                "flow": self.flow,
                "partition": self.partition,
                "spec_version": self.spec_version,
                "items": [i.to_dict() for i in self.items],
                "conflicts": [asdict(c) for c in self.conflicts],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        return cls(
            [PlanItem.from_dict(i) for i in data["items"]],
            [Conflict(**c) for c in data["conflicts"]],
            data.get("spec_version"),
            data.get("flow", ""),
            data.get("partition", ""),
        )


def _dump_payload(payload: Payload | None) -> str | None:
    return None if payload is None else json.dumps(payload, sort_keys=True, separators=(",", ":"))


def resolve(rule: str, desired: Any, base: Any, stamps: tuple[Any, Any] | None) -> str:
    """Outcome of a field edited in the target: "source", "target" or "manual" (see module doc)."""
    if rule in ("source_wins", "target_wins", "manual"):
        return {"source_wins": "source", "target_wins": "target", "manual": "manual"}[rule]
    if desired == base:  # only the target changed since the last sync
        return "target"
    if rule == "newest_wins" and stamps and stamps[0] is not None and stamps[1] is not None:
        return "source" if stamps[0] >= stamps[1] else "target"
    return "manual"
