"""Applying plans to the ERP: `$batch` calls of up to `batch_size` operations, one change set per material
and per BOM level, and the state store kept in step batch by batch.

A BOM level is all-or-nothing. A new BOM, a BOM whose header changed, or one with more item changes than
fit one `$batch` becomes a new BOM version created, filled and released inside ONE change set; smaller
changes to a released BOM go as one change set of item creates/updates/deletes under a change number
(SAP engineering change management), so only the changed lines are written; a BOM the PLM no longer
has (a retired header in the plan) gets the deletion flag under the change number. Either way production
never sees half a BOM. After each `$batch` call, its successes (ID map, record state, audit) and its
failures (dead letters) are stored in one transaction, so a crash loses at most the batch in flight,
and the next run's plan (which reads the ERP itself) converges without duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from resources.erp.interface import ApplyReport, Progress, WriteRow, split_held
from resources.erp.sap.batch import ChangesetResult, Operation
from resources.erp.sap.boms import ERPBom, next_version
from resources.erp.sap.target_keys import TargetKeys, held_by, written_by
from resources.transport.errors import ApiError
from sync.applied import applied_changes
from sync.keys import KEY_FIELDS, bom_header_key, split_key
from sync.mapping import MappingError
from sync.plan import PlanItem
from sync.records import AppliedChange, FailedChange
from sync.spec import MappingSpec

if TYPE_CHECKING:  # named in type hints only
    from resources.state.store import StateStore

HEADER_KEY_FIELDS = frozenset(KEY_FIELDS["bom_header"])
RETRYABLE_STATUSES = frozenset({408, 412, 423, 429, 500, 502, 503, 504})


class BatchingClient(Protocol):
    """What the writer needs of the SAP client (`ERPClient`), named here so the client may build writers."""

    batch_size: int

    def read_materials(self, products: Iterable[str]) -> dict[str, dict[str, Any]]: ...

    def bom_versions_of(self, materials: Iterable[str], plant: str, usage: str = "1") -> dict[str, list[ERPBom]]: ...

    def batch(self, changesets: list[list[Operation]]) -> list[ChangesetResult]: ...


@dataclass
class Unit:
    """One change set and the plan items it carries out (recorded together, succeed or fail together)."""

    changeset: list[Operation]
    items: list[PlanItem]


class PlanWriter:
    """Writes units to the ERP in batches and records every outcome in the state store (the SAP kind's
    `resources.erp.interface.PlanApplier`)."""

    def __init__(
        self,
        client: BatchingClient,
        store: StateStore,
        run_id: int,
        flow: str,
        spec: MappingSpec,
        source_versions: Mapping[str, str],
        log: logging.Logger | None = None,
        change_number: str | None = None,
        change_numbers: Mapping[str, str] | None = None,
    ) -> None:
        self.client, self.store, self.run_id, self.flow = client, store, run_id, flow
        self.change_number = change_number  # SAP ECM: item edits of a released BOM are recorded under it
        self.change_numbers = {m.upper(): n for m, n in (change_numbers or {}).items() if n}  # per BOM material
        self.spec, self.spec_version, self.source_versions = spec, spec.version, source_versions
        self.log = log or logging.getLogger(__name__)
        self.report = ApplyReport()
        self._bom_versions: dict[str, list[ERPBom]] = {}

    def prefetch_boms(self, header_keys: Iterable[str]) -> None:
        """Read the ERP's versions of these BOMs in bulk, once, before building their change sets."""
        scopes: dict[tuple[str, str], list[str]] = {}
        for header_key in header_keys:
            material, plant, usage = split_key(header_key)
            scopes.setdefault((plant, usage), []).append(material)
        for (plant, usage), materials in scopes.items():
            for material, versions in self.client.bom_versions_of(materials, plant, usage).items():
                self._bom_versions[bom_header_key(material, plant, usage)] = versions

    def agrees(self, entity: str, wanted: Mapping | None, now: Mapping | None) -> bool:
        """Whether the ERP already holds what a plan item wants (a retried step finds its own writes)."""
        if wanted is None or now is None:
            return wanted is None and now is None
        normalised = self.spec.entities[entity].normalise(now)
        return all(normalised.get(name) == value for name, value in wanted.items())

    def change_number_of(self, header_key: str) -> str | None:
        """The change number for item edits of this BOM: its own (the PLM's change order), else the run's."""
        return self.change_numbers.get(split_key(header_key)[0].upper()) or self.change_number

    def bom_versions(self, header_key: str) -> list[ERPBom]:
        if header_key not in self._bom_versions:
            self.prefetch_boms([header_key])
        return self._bom_versions[header_key]

    # --- recording ---------------------------------------------------------------------------------------
    def applied(
        self, item: PlanItem, target_version: str | None = None, target_key: str | None = None
    ) -> list[AppliedChange]:
        number = split_key(item.key)[0]
        return applied_changes(
            item,
            target_key=target_key,
            target_version=target_version,
            spec_version=self.spec_version,
            source_version=self.source_versions.get(number),
        )

    def record(
        self,
        done: Iterable[tuple[PlanItem, str]],
        failed: Iterable[tuple[PlanItem, str, str, bool]],
        target_keys: TargetKeys | None = None,
    ) -> None:
        """Store successes (item, status) and failures (item, code, message, retryable) in one transaction;
        `target_keys` are the ERP's own keys of the records (the ID map)."""
        done, failed, keys = list(done), list(failed), target_keys or {}
        done, held = split_held(self.store, done)
        self.report.rows += [WriteRow(i.entity, i.key, i.op, "held") for i in held]
        changes = [
            change for item, _ in done for change in self.applied(item, target_key=keys.get((item.entity, item.key)))
        ]
        dead = [
            FailedChange(i.entity, i.key, i.op, i.after or i.before, code, msg, retryable)
            for i, code, msg, retryable in failed
        ]
        self.store.record_batch(self.run_id, self.flow, changes, dead)
        self.report.rows += [WriteRow(i.entity, i.key, i.op, status) for i, status in done]
        self.report.rows += [WriteRow(i.entity, i.key, i.op, "failed", code, msg) for i, code, msg, _ in failed]

    def record_mapping_errors(self, errors: Iterable[MappingError], payloads: Mapping[str, dict] | None = None) -> None:
        dead = [e.to_failed_change((payloads or {}).get(e.key)) for e in errors]
        if dead:
            self.store.record_batch(self.run_id, self.flow, [], dead)
            self.report.rows += [WriteRow(d.entity, d.key, "map", "failed", d.error_code, d.message) for d in dead]

    def record_failed(self, items: Iterable[PlanItem], code: str, message: str, retryable: bool) -> None:
        self.record([], [(item, code, message, retryable) for item in items])

    # --- writing -------------------------------------------------------------------------------------------
    def apply_materials(self, items: list[PlanItem], progress: Progress | None = None) -> None:
        self.send(material_units(self, items), progress)

    def apply_boms(self, levels: Mapping[str, list[PlanItem]], progress: Progress | None = None) -> None:
        self.prefetch_boms(h for h, items in levels.items() if any(i.op != "unchanged" for i in items))
        units = [unit for header_key, items in levels.items() for unit in bom_units(self, header_key, items)]
        self.send(units, progress)

    def send(self, units: list[Unit], progress: Progress | None = None) -> None:
        """Send units in `$batch` calls; after a call that failed as a whole, the rest are dead-lettered."""
        pending = list(units)
        total = sum(len(u.items) for u in units)
        while pending:
            group, pending = _take_batch(pending, self.client.batch_size)
            try:
                results = self.client.batch([u.changeset for u in group])
            except ApiError as exc:
                self.log.error(
                    f"erp: $batch failed as a whole ({exc}); {len(group) + len(pending)} change sets not applied"
                )
                self.fail_units(group + pending, exc.code or type(exc).__name__, str(exc), exc.retryable)
                return
            self.report.batches += 1
            self._record_results(group, results)
            if progress:
                progress(len(self.report.rows), total)

    def fail_units(self, units: Iterable[Unit], code: str, message: str, retryable: bool) -> None:
        self.record([], [(item, code, message, retryable) for unit in units for item in unit.items])

    def _record_results(self, group: list[Unit], results: list[ChangesetResult]) -> None:
        done, failed, keys = [], [], {}
        for unit, result in zip(group, results, strict=True):
            if result.ok:
                done += [(item, "written") for item in unit.items]
                keys.update(written_by(unit.items, result))
                continue
            which = result.failed_operation.label if result.failed_operation else "the change set"
            message = f"{which}: {result.error_message or 'rejected'}"
            retryable = result.status in RETRYABLE_STATUSES
            failed += [(item, result.error_code or str(result.status), message, retryable) for item in unit.items]
        self.record(done, failed, keys)


def _take_batch(units: list[Unit], batch_size: int) -> tuple[list[Unit], list[Unit]]:
    """As many whole units as fit `batch_size` operations (always at least one), one OData service per call."""
    size, count = 0, 0
    service = units[0].changeset[0].service
    for unit in units:
        if count and (size + len(unit.changeset) > batch_size or unit.changeset[0].service != service):
            break
        size, count = size + len(unit.changeset), count + 1
    return units[:count], units[count:]


# --- materials -----------------------------------------------------------------------------------------------
def material_units(writer: PlanWriter, items: list[PlanItem]) -> list[Unit]:
    """One change set per material, checked against a fresh read: what the ERP already holds is only
    recorded (a retried step, a plan made before another run wrote), updates carry the fresh etag."""
    changes = [i for i in items if i.op in ("create", "update")]
    fresh = writer.client.read_materials([i.key for i in changes]) if changes else {}
    units, state_only = [], []
    for item in changes:
        now = fresh.get(item.key)
        # an update writes only the fields the plan decided on (conflict rules may keep ERP-owned ones)
        wanted = item.after if item.op == "create" else {f: item.after[f] for f in item.changed_fields}
        if now is not None and writer.agrees("material", wanted, now):
            state_only.append((item, "recorded"))  # the ERP already holds it: remember that, write nothing
        elif now is None:
            units.append(Unit([Operation.create_material(item.after)], [item]))
        else:
            normalised = writer.spec.entities["material"].normalise(now)
            patch = {f: v for f, v in wanted.items() if normalised.get(f) != v}
            units.append(Unit([Operation.update_material(item.key, patch, now.get("_etag", "*"))], [item]))
    if state_only:
        writer.record(state_only, [], {("material", item.key): item.key for item, _ in state_only})
    return units


# --- BOMs ------------------------------------------------------------------------------------------------------
def bom_units(writer: PlanWriter, header_key: str, items: list[PlanItem]) -> list[Unit]:
    """The change set(s) for one BOM level, or none when only state needs recording."""
    header = next((i for i in items if i.entity == "bom_header"), None)
    if header is not None and header.op == "delete":
        return _retire_units(writer, header_key, items)
    item_changes = [i for i in items if i.entity == "bom_item" and i.op != "unchanged"]
    writes = [i for i in item_changes if i.op != "update" or i.changed_fields]
    header_changed = header is not None and (header.op == "create" or (header.op == "update" and header.changed_fields))
    if not header_changed and not writes:
        changed = [i for i in items if i.op != "unchanged"]
        if changed:
            writer.record([(i, "recorded") for i in changed], [])
        return []
    bom = next((b for b in reversed(writer.bom_versions(header_key)) if b.is_active), None)
    if bom is not None and _bom_agrees(writer, header_key, header, items, bom):
        writer.record([(i, "recorded") for i in items if i.op != "unchanged"], [], held_by(header_key, bom))
        return []
    if header_changed or bom is None or len(writes) > writer.client.batch_size:
        return [_new_version_unit(writer, header_key, header, items)]
    carried = [*item_changes, *([header] if header is not None and header.op != "unchanged" else [])]
    try:
        operations = [_item_operation(bom, i, writer.change_number_of(header_key)) for i in writes]
    except KeyError as exc:  # an item the plan saw is gone from the ERP: re-plan on the next run
        writer.fail_units([Unit([], carried)], "ERP_ITEM_VANISHED", f"BOM {header_key}: {exc.args[0]}", True)
        return []
    return [Unit(operations, carried)]


def _retire_units(writer: PlanWriter, header_key: str, items: list[PlanItem]) -> list[Unit]:
    """A BOM the PLM no longer has: its released version is flagged for deletion under the change number;
    when no active version is left (a retried step), only state is recorded."""
    carried = [i for i in items if i.op != "unchanged"]
    bom = next((b for b in reversed(writer.bom_versions(header_key)) if b.is_active), None)
    if bom is None:
        writer.record([(i, "recorded") for i in carried], [])
        return []
    return [Unit([Operation.retire_bom(bom, writer.change_number_of(header_key) or "")], carried)]


def _bom_agrees(
    writer: PlanWriter, header_key: str, header: PlanItem | None, items: list[PlanItem], bom: ERPBom
) -> bool:
    """Whether the released ERP BOM already is exactly what the plan wants for this level."""
    address = dict(zip(KEY_FIELDS["bom_header"], split_key(header_key), strict=True))
    wanted = {split_key(i.key)[-1]: i.after for i in items if i.entity == "bom_item" and i.op != "delete"}
    held = {str(item["BillOfMaterialItemNumber"]).zfill(4): {**item, **address} for item in bom.items}
    if header is not None and not writer.agrees("bom_header", header.after, bom.header):
        return False
    return set(wanted) == set(held) and all(writer.agrees("bom_item", w, held[n]) for n, w in wanted.items())


def _new_version_unit(writer: PlanWriter, header_key: str, header: PlanItem | None, items: list[PlanItem]) -> Unit:
    if header is None or header.after is None:
        raise ValueError(f"BOM {header_key}: the plan has item changes but no desired header")
    desired_header = header.after
    desired_items = [_item_fields(i.after) for i in items if i.entity == "bom_item" and i.op != "delete"]
    version = next_version(writer.bom_versions(header_key))
    operation = Operation.create_bom(desired_header, desired_items, draft=False, version=version)
    return Unit([operation], [i for i in items if i.op != "unchanged"])


def _item_fields(payload: Mapping) -> dict:
    """An item's own fields: the header's key fields are the item's address, not part of its body."""
    return {name: value for name, value in payload.items() if name not in HEADER_KEY_FIELDS}


def _item_operation(bom: ERPBom, item: PlanItem, change_number: str | None) -> Operation:
    number = split_key(item.key)[-1]
    if item.op == "create":
        return Operation.create_bom_item(bom, _item_fields(item.after), change_number)
    if item.op == "delete":
        bom.item(number)  # KeyError when the ERP no longer has it
        return Operation.delete_bom_item(bom, number, change_number)
    old_number = split_key(item.previous_key)[-1] if item.previous_key else number
    etag = bom.item(old_number).get("_etag")
    return Operation.update_bom_item(bom, old_number, _item_fields(item.patch), etag, change_number)
