"""Diff desired target records against stored state and a target snapshot into a `Plan` (rules: sync.plan)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sync.bom_tree import BomTree, match_lines
from sync.checksum import checksum
from sync.keys import header_key_of_item, split_key
from sync.plan import Conflict, Decision, Payload, Plan, PlanItem, resolve
from sync.records import StoredRecord
from sync.spec import MappingSpec

Stored = Mapping[str, Mapping[str, StoredRecord]]
Snapshot = Mapping[str, Mapping[str, Payload]]
Stamps = Mapping[tuple[str, str], Any]


class _Differ:
    def __init__(
        self, spec: MappingSpec, stored: Stored, target: Snapshot | None, source_stamps: Stamps, target_stamps: Stamps
    ) -> None:
        self.spec, self.stored = spec, stored
        self.target = (
            None
            if target is None
            else {
                entity: {k: spec.entities[entity].normalise(p) for k, p in rows.items()}
                for entity, rows in target.items()
                if entity in spec.entities
            }
        )
        self.source_stamps, self.target_stamps = source_stamps, target_stamps
        self.conflicts: list[Conflict] = []
        self._field_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}

    def fields_of(self, desired: Payload) -> tuple[str, ...]:
        """A create's changed fields (all of them): one shared tuple per field list, not one per record."""
        names = tuple(desired)
        return self._field_tuples.setdefault(names, names)

    def existing(self, entity: str) -> set[str]:
        keys = set(self.stored.get(entity, {}))
        return keys | set(self.target.get(entity, {})) if self.target is not None else keys

    def current(self, entity: str, key: str) -> Payload | None:
        """What the target holds now: the snapshot if one was read, else what we last wrote."""
        if self.target is not None:
            return self.target.get(entity, {}).get(key)
        record = self.stored.get(entity, {}).get(key)
        return record.payload if record else None

    def diff(self, entity: str, key: str, desired: Payload, old_key: str | None = None) -> PlanItem:
        """One desired record against what exists at `old_key` (itself unless renumbered)."""
        old_key = old_key or key
        record = self.stored.get(entity, {}).get(old_key)
        target_key = record.target_key if record else None
        after_sum = checksum(desired)
        if self.target is None:
            if record is None:
                return PlanItem(entity, key, "create", None, desired, self.fields_of(desired), after_sum)
            if record.checksum == after_sum and old_key == key:
                return PlanItem(entity, key, "unchanged", record.payload, desired, (), after_sum, None, target_key)
            base = record.payload
            changed = tuple(f for f in desired if base is None or base.get(f) != desired[f])
            return PlanItem(
                entity,
                key,
                "update",
                base,
                desired,
                changed,
                after_sum,
                old_key if old_key != key else None,
                target_key,
            )
        now = self.target.get(entity, {}).get(old_key)
        previous = old_key if old_key != key else None
        if now is None:  # never written, or deleted directly in the target: (re)create
            return PlanItem(entity, key, "create", None, desired, self.fields_of(desired), after_sum, previous)
        changed, decisions = self._fields(entity, key, desired, now, record.payload if record else None)
        if not changed and record is not None and record.checksum == after_sum and previous is None:
            return PlanItem(entity, key, "unchanged", now, desired, (), after_sum, None, target_key, decisions)
        return PlanItem(entity, key, "update", now, desired, changed, after_sum, previous, target_key, decisions)

    def _fields(
        self, entity: str, key: str, desired: Payload, now: Payload, base: Payload | None
    ) -> tuple[tuple[str, ...], tuple[Decision, ...]]:
        espec = self.spec.entities[entity]
        changed, decisions = [], []
        for name, value in desired.items():
            current = now.get(name)
            if value == current:
                continue
            if base is None or name not in base or base[name] == current:
                changed.append(name)  # the target was not edited since our last write
                continue
            rule = espec.conflict_rule(name)
            stamps = (self.source_stamps.get((entity, key)), self.target_stamps.get((entity, key)))
            outcome = resolve(rule, value, base[name], stamps)
            decisions.append(Decision(name, rule, outcome, value, current, base[name]))
            if outcome == "source":
                changed.append(name)
            elif outcome == "manual":
                reason = "edited in the target" if rule == "manual" else "changed on both sides since the last sync"
                self.conflicts.append(Conflict(entity, key, name, rule, value, current, base[name], reason))
        return tuple(changed), tuple(decisions)

    def delete(self, entity: str, key: str) -> PlanItem:
        record = self.stored.get(entity, {}).get(key)
        return PlanItem(
            entity,
            key,
            "delete",
            self.current(entity, key),
            None,
            (),
            None,
            None,
            record.target_key if record else None,
        )


def _component(payload: Payload | None, key: str) -> Any:
    # an item whose payload we do not know can only match itself, never a renumber
    return payload.get("BillOfMaterialComponent") if payload else ("?", key)


def _bom_groups(
    d: _Differ, desired_items: Mapping[str, Payload], scope: set[str], held: set[tuple[str, str]]
) -> dict[str, list[PlanItem]]:
    """Plan the items of each BOM header in scope: deletes, updates (renumbers first), creates, unchanged."""
    wanted: dict[str, dict[str, Payload]] = defaultdict(dict)
    for key, payload in desired_items.items():
        wanted[header_key_of_item(key)][key] = payload
    present: dict[str, set[str]] = defaultdict(set)
    for key in d.existing("bom_item"):
        header = header_key_of_item(key)
        if header in scope and ("bom_item", key) not in held:
            present[header].add(key)
    groups: dict[str, list[PlanItem]] = {}
    for header in scope:
        want, have = wanted.get(header, {}), present.get(header, set())
        vanished = {k: _component(d.current("bom_item", k), k) for k in have - set(want)}
        appeared = {k: want[k]["BillOfMaterialComponent"] for k in set(want) - have}
        if vanished or appeared:
            match = match_lines(vanished, appeared)
            renumbered, removed = {new: old for old, new in match.renumbered}, match.removed
        else:  # the same lines as before (the common case): nothing to match
            renumbered, removed = {}, []
        deletes = [d.delete("bom_item", k) for k in removed]
        moves = [d.diff("bom_item", new, want[new], old) for new, old in sorted(renumbered.items())]
        rest = [d.diff("bom_item", k, want[k]) for k in sorted(want) if k not in renumbered]
        order = {"update": 0, "create": 1, "unchanged": 2}
        groups[header] = deletes + moves + sorted(rest, key=lambda i: order[i.op])
    return groups


def _heights(bom_items: Mapping[str, Payload]) -> dict[str, int]:
    """Material -> BOM height (0 = no BOM), as BomTree.heights() of every line, cycles raised the same.

    Only lines between assemblies make the tree: a parent's height is 1 + the highest assembly below it
    (purchased parts are height 0 and raise no cycle), so the tree is small whatever the part count.
    """
    parents = {p["Material"] for p in bom_items.values()}  # two passes rather than a million pairs held
    pairs = ((p["Material"], p["BillOfMaterialComponent"]) for p in bom_items.values())
    below = BomTree.from_pairs((parent, child) for parent, child in pairs if child in parents).heights()
    return {parent: below.get(parent, 0) + 1 for parent in parents}


def build_plan(
    spec: MappingSpec,
    desired: Mapping[str, Mapping[str, Payload]],
    stored: Stored,
    target: Snapshot | None = None,
    *,
    retired_boms: Iterable[str] = (),
    held: Iterable[tuple[str, str]] = (),
    source_stamps: Stamps | None = None,
    target_stamps: Stamps | None = None,
    flow: str = "plm_to_erp",
    partition: str = "",
) -> Plan:
    """Plan one partition. `desired` and `target` map entity -> key -> payload; `stored` entity -> key ->
    StoredRecord; `retired_boms` are header keys whose BOM is gone; `held` are (entity, key) pairs that
    failed to map (never written nor deleted); stamps (for newest_wins) map (entity, key) -> change time.
    """
    d = _Differ(spec, stored, target, source_stamps or {}, target_stamps or {})
    held = set(held)
    items = [d.diff("material", k, p) for k, p in sorted(desired.get("material", {}).items())]
    headers = desired.get("bom_header", {})
    retired = sorted(set(retired_boms) - set(headers))
    groups = _bom_groups(d, desired.get("bom_item", {}), set(headers) | set(retired), held)
    height = _heights(desired.get("bom_item", {}))
    existing_headers = d.existing("bom_header") if retired else set()
    for header in retired:
        items.extend(groups[header])
        if header in existing_headers and ("bom_header", header) not in held:
            items.append(d.delete("bom_header", header))
    for header in sorted(headers, key=lambda h: (height.get(split_key(h)[0], 0), h)):
        items.append(d.diff("bom_header", header, headers[header]))
        items.extend(groups[header])
    return Plan(items, d.conflicts, spec.version, flow, partition)
