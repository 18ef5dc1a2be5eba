"""Applying plans to Tryton (the Tryton kind's `resources.erp.interface.PlanApplier`).

Materials: one `product.template.create` per batch of <= `batch_size` records (a template and its variant
are 2), one multi-pair `write` per batch of updates. BOMs: every level with a change becomes a NEW
`production.bom` version (see `resources.erp.tryton.client` for why that is atomic), created in batches,
then the products' `boms` links are switched to it; a level is recorded as written only after its link
points at the new version. A fresh read before each step makes a retry only record what a lost answer
committed. With a state store, outcomes (ID map, record state, audit; dead letters) are stored after each
write call, so a crash loses at most the call in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from resources.erp.interface import ApplyReport, Progress, WriteRow, group_by_bom, split_held
from resources.erp.tryton.rpc import chunked
from resources.transport.errors import ApiError
from sync.applied import applied_changes
from sync.keys import split_key
from sync.mapping import MappingError
from sync.plan import PlanItem
from sync.records import AppliedChange, FailedChange
from sync.spec import MappingSpec

if TYPE_CHECKING:  # named in type hints only
    from resources.state.store import StateStore


class WritingClient(Protocol):
    """What the writer needs of `TrytonERPClient`, named here so the client may build writers."""

    batch_size: int
    rpc: Any

    def read_materials(self, numbers: Iterable[str]) -> dict[str, dict[str, Any]]: ...
    def template_create_values(self, number: str, payload: Mapping[str, Any]) -> dict[str, Any]: ...
    def template_changes(self, now: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]: ...
    def materials_of(self, levels: Mapping[str, list[PlanItem]]) -> list[str]: ...
    def bom_values(self, items: list[PlanItem], products: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]: ...
    def current_versions(self, products: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[int, str]]: ...
    def versions_of(self, materials: list[str]) -> dict[str, list[dict[str, Any]]]: ...
    def create_versions(
        self, boms: Mapping[str, dict], existing: Mapping[str, list[dict]], current: Mapping[str, tuple[int, str]]
    ) -> tuple[dict[str, tuple[int, bool]], int]: ...
    def switch_links(
        self, versions: Mapping[str, tuple[int, bool]], products: Mapping[str, Mapping[str, Any]]
    ) -> tuple[int, int]: ...
    def retire_stale_versions(self, product_ids: list[int]) -> int: ...


@dataclass
class Unit:
    """Write calls (`send` returns how many it made) and the plan items they carry out, recorded together."""

    send: Callable[[], int]
    items: list[PlanItem]


class TrytonPlanWriter:
    """Writes a plan's materials and BOM levels to Tryton; `store=None` applies without recording state."""

    def __init__(
        self,
        client: WritingClient,
        store: StateStore | None,
        run_id: int,
        flow: str,
        spec: MappingSpec | None,
        source_versions: Mapping[str, str],
        log: logging.Logger | Any | None = None,
        change_number: str | None = None,
    ) -> None:
        self.client, self.store, self.run_id, self.flow = client, store, run_id, flow
        self.spec, self.source_versions = spec, source_versions
        self.change_number = change_number  # Tryton keeps no change history on a BOM: versions carry it
        self.log = log or logging.getLogger(__name__)
        self.report = ApplyReport()
        self._error: ApiError | None = None
        self.counts = {
            "materials_created": 0,
            "materials_updated": 0,
            "bom_versions_created": 0,
            "bom_links_switched": 0,
        }

    # --- recording ---------------------------------------------------------------------------------------
    def _applied(self, item: PlanItem) -> list[AppliedChange]:
        return applied_changes(
            item,
            spec_version=self.spec.version if self.spec else None,
            source_version=self.source_versions.get(split_key(item.key)[0]),
        )

    def record(self, done: Iterable[tuple[PlanItem, str]], failed: Iterable[tuple[PlanItem, str, str, bool]]) -> None:
        """Store successes (item, status) and failures (item, code, message, retryable) in one transaction."""
        done, failed = list(done), list(failed)
        done, held = split_held(self.store, done)
        self.report.rows += [WriteRow(i.entity, i.key, i.op, "held") for i in held]
        if self.store is not None and (done or failed):
            changes = [change for item, _ in done for change in self._applied(item)]
            dead = [
                FailedChange(i.entity, i.key, i.op, i.after or i.before, code, msg, retryable)
                for i, code, msg, retryable in failed
            ]
            self.store.record_batch(self.run_id, self.flow, changes, dead)
        self.report.rows += [WriteRow(i.entity, i.key, i.op, status) for i, status in done]
        self.report.rows += [WriteRow(i.entity, i.key, i.op, "failed", code, msg) for i, code, msg, _ in failed]

    def record_mapping_errors(self, errors: Iterable[MappingError], payloads: Mapping[str, dict] | None = None) -> None:
        dead = [e.to_failed_change((payloads or {}).get(e.key)) for e in errors]
        if dead and self.store is not None:
            self.store.record_batch(self.run_id, self.flow, [], dead)
        self.report.rows += [WriteRow(d.entity, d.key, "map", "failed", d.error_code, d.message) for d in dead]

    def record_failed(self, items: Iterable[PlanItem], code: str, message: str, retryable: bool) -> None:
        self.record([], [(item, code, message, retryable) for item in items])

    # --- writing -------------------------------------------------------------------------------------------
    def apply_plan(self, items: Iterable[PlanItem]) -> dict[str, int]:
        """Materials, then BOM levels; raises the first typed error after recording it (for runs outside
        Dagster, where the caller decides about a retry). Returns the counts."""
        items = list(items)
        self.apply_materials([i for i in items if i.entity == "material"])
        self._raise_first_failure()
        self.apply_boms(group_by_bom(i for i in items if i.entity != "material"))
        self._raise_first_failure()
        return dict(self.counts)

    def _raise_first_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def apply_materials(self, items: list[PlanItem], progress: Progress | None = None) -> None:
        changes = [i for i in items if i.op in ("create", "update")]
        fresh = self.client.read_materials([i.key for i in changes]) if changes else {}
        creates, updates, state_only = [], [], []
        for item in changes:
            now = fresh.get(item.key)
            if now is None:
                creates.append((item, self.client.template_create_values(item.key, item.after or {})))
                continue
            change = self.client.template_changes(now, item.after or {})
            if change:  # also a create whose product a lost answer already committed: brought up to date
                updates.append((item, ([now["_template_id"]], change)))
            else:
                state_only.append((item, "recorded"))
        self.record(state_only, [])
        units = [
            Unit(lambda run=run: self._create_templates([v for _, v in run]), [i for i, _ in run])
            for run in chunked(creates, self.client.batch_size, weight=lambda _: 2)
        ]
        units += [
            Unit(lambda run=run: self._update_templates([v for _, v in run]), [i for i, _ in run])
            for run in chunked(updates, self.client.batch_size)
        ]
        self.send(units, progress)

    def _create_templates(self, values: list[dict]) -> int:
        self.client.rpc.model("product.template", "create", values)
        self.counts["materials_created"] += len(values)
        return 1

    def _update_templates(self, pairs: list[tuple[list[int], dict]]) -> int:
        self.client.rpc.model("product.template", "write", *[x for pair in pairs for x in pair])
        self.counts["materials_updated"] += len(pairs)
        return 1

    def apply_boms(self, levels: Mapping[str, list[PlanItem]], progress: Progress | None = None) -> None:
        changed, state_only = {}, []
        for header_key, items in levels.items():
            if any(i.op in ("create", "delete") or (i.op == "update" and i.changed_fields) for i in items):
                changed[header_key] = items
            else:  # the plan found nothing to write: only the state needs recording
                state_only.extend((i, "recorded") for i in items if i.op != "unchanged")
        self.record(state_only, [])
        if not levels:
            return
        products = self.client.read_materials(self.client.materials_of(levels))
        desired, units = {}, []
        for header_key, items in changed.items():
            try:
                desired[header_key] = self.client.bom_values(items, products)
            except ValueError as exc:  # a product or unit Tryton lacks: this level cannot be written
                self.record_failed(
                    [i for i in items if i.op != "unchanged"], "TRYTON_REFERENCE_UNKNOWN", str(exc), False
                )
        current = self.client.current_versions(products)
        existing = self.client.versions_of([d["material"] for d in desired.values()])
        agreed = {
            k for k, d in desired.items() if current.get(d["material"], (None, ""))[1].endswith(f"/{d['digest']}")
        }
        self.record([(i, "recorded") for k in agreed for i in changed[k] if i.op != "unchanged"], [])
        pending = {k: d for k, d in desired.items() if k not in agreed}
        for run in chunked(sorted(pending), self.client.batch_size, weight=lambda k: 2 + len(pending[k]["inputs"])):
            units.append(
                Unit(
                    lambda run=run: self._new_versions({k: pending[k] for k in run}, existing, current, products),
                    [i for k in run for i in changed[k] if i.op != "unchanged"],
                )
            )
        self.send(units, progress)
        try:
            self.report.batches += self.client.retire_stale_versions([p["_product_id"] for p in products.values()])
        except ApiError as exc:  # only tidiness: the next apply sweeps again
            self.log.warning(f"tryton: deactivating replaced BOM versions failed: {exc}")

    def _new_versions(
        self,
        boms: dict[str, dict],
        existing: Mapping[str, list[dict]],
        current: Mapping[str, tuple[int, str]],
        products: Mapping[str, Mapping],
    ) -> int:
        """Create (or reuse) the new versions of these levels, then switch their products' links."""
        versions, calls = self.client.create_versions(boms, existing, current)
        self.counts["bom_versions_created"] += sum(1 for _, new in versions.values() if new)
        switched, link_calls = self.client.switch_links(versions, products)
        self.counts["bom_links_switched"] += switched
        return calls + link_calls

    def send(self, units: list[Unit], progress: Progress | None = None) -> None:
        """Run units in order; after a failed one, it and the rest are dead-lettered (the next run re-plans)."""
        total = sum(len(u.items) for u in units)
        for index, unit in enumerate(units):
            try:
                self.report.batches += unit.send()
            except ApiError as exc:
                self.log.error(f"tryton: write failed ({exc}); {len(units) - index} call group(s) not applied")
                self.record_failed(
                    [i for u in units[index:] for i in u.items], exc.code or type(exc).__name__, str(exc), exc.retryable
                )
                self._error = exc
                return
            self.record([(item, "written") for item in unit.items], [])
            if progress:
                progress(len(self.report.rows), total)
