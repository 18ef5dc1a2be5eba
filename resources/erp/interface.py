"""What the assets use of an ERP, whatever its kind: `ERPConnection` (reads, read-back, a plan writer) and
`PlanApplier` (applies a plan's materials and BOM levels and records every outcome in the state store).

The SAP kind (`resources/erp/sap/`: `ERPClient` + `PlanWriter`) implements both; another kind (Tryton) is a
sibling package behind the same protocols. Assets, checks and reconciliation type their ERP against these
protocols only, so nothing above `resources/` knows which kind it talks to.

Records in and out are the ERP's own flat field dicts, keyed as the mapping spec keys them (materials by
product number; BOM headers and items by `sync.keys`), so the planner and the verification compare them
field by field without knowing the kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sync.keys import header_key_of_item
from sync.mapping import MappingError
from sync.plan import PlanItem
from sync.spec import MappingSpec

if TYPE_CHECKING:  # named in type hints only: importing the interface needs no database driver
    from resources.state.store import StateStore

OP_COUNTS = {"create": "created", "update": "updated", "delete": "deleted"}
Progress = Callable[[int, int], None]  # (records done, records in the plan)


@dataclass
class WriteRow:
    """The outcome of one plan item."""

    entity: str
    key: str
    op: str
    status: str  # "written", "recorded" (state only, the ERP already agreed), "held" (the state store
    # already holds it as planned: another run, or an earlier attempt of this step, wrote and recorded it), "failed"
    error_code: str = ""
    message: str = ""


@dataclass
class ApplyReport:
    """Every outcome of one apply, and how many write calls the ERP received."""

    rows: list[WriteRow] = field(default_factory=list)
    batches: int = 0  # write calls sent (SAP: `$batch` requests)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("created", "updated", "deleted", "failed"), 0)
        for row in self.rows:
            if row.status == "failed":
                counts["failed"] += 1
            elif row.status != "held" and row.op in OP_COUNTS:
                counts[OP_COUNTS[row.op]] += 1
        return counts

    def held(self) -> int:
        """Records another run had already written and recorded: unchanged, as far as this run goes."""
        return sum(1 for row in self.rows if row.status == "held")

    def failed_keys(self, entity: str) -> set[str]:
        return {r.key for r in self.rows if r.entity == entity and r.status == "failed"}


def split_held(
    store: StateStore | None, done: list[tuple[PlanItem, str]]
) -> tuple[list[tuple[PlanItem, str]], list[PlanItem]]:
    """Of the outcomes to record, those "recorded" (the ERP already agreed) that the state store already
    holds exactly as planned: another run wrote them (and audited that write) while this one waited for
    their lease. They are left out of this run's record, so one ERP write gives one audit entry. A record
    the ERP holds but the store does not (this run's own write, answered lost) is still recorded."""
    recorded = [item for item, status in done if status == "recorded"]
    if store is None or not recorded:
        return done, []
    stored: dict[str, dict] = {}
    for entity in {i.entity for i in recorded}:
        keys = {k for i in recorded if i.entity == entity for k in (i.key, i.previous_key) if k}
        stored[entity] = store.stored_records(entity, keys)

    def held(item: PlanItem) -> bool:
        rows = stored[item.entity]
        if item.previous_key and item.previous_key in rows:
            return False
        if item.op == "delete":
            return item.key not in rows
        return item.key in rows and rows[item.key].checksum == item.checksum

    held_items = [item for item in recorded if held(item)]
    if not held_items:
        return done, []
    ids = {id(item) for item in held_items}
    return [(item, status) for item, status in done if id(item) not in ids], held_items


def group_by_bom(items: Iterable[PlanItem]) -> dict[str, list[PlanItem]]:
    """Plan items per BOM level (header key), keeping the plan's order (children before parents)."""
    groups: dict[str, list[PlanItem]] = {}
    for item in items:
        header = item.key if item.entity == "bom_header" else header_key_of_item(item.key)
        groups.setdefault(header, []).append(item)
    return groups


class BomRead(Protocol):
    """One BOM as read from the ERP: its flat header and its flat items (sorted by item number)."""

    header: dict[str, Any]
    items: list[dict[str, Any]]


class CallMetrics(Protocol):
    """Counted calls to the ERP (requests, retries, errors, bytes); honest, including retries."""

    def snapshot(self) -> dict[str, Any]: ...

    def flat(self) -> dict[str, float]: ...


class PlanApplier(Protocol):
    """Applies one plan to the ERP and keeps the state store in step, batch by batch.

    Promises, for every kind:
    - idempotent: before writing, it reads the ERP; what the ERP already holds is only recorded
      ("recorded"), so a retry after a crash between "committed" and "answered" writes nothing twice;
    - atomic per BOM level: a level's header and items land together or not at all, and production never
      sees a half-written BOM (a new version is filled, then released);
    - safe beside concurrent runs: the caller holds the records' leases (`StateStore.hold_leases`) while
      it applies; what another run wrote and recorded meanwhile ends "held", written and audited once;
    - every plan item ends as exactly one `WriteRow` in `report` (written, recorded, held or failed), and every
      outcome is in the state store (`StateStore.record_batch`) before the next write call is sent;
      failures become dead letters with the ERP's code and message and a retryable flag;
    - counts are honest: `report.batches` is the number of write calls sent.
    """

    report: ApplyReport

    def record_mapping_errors(self, errors: Iterable[MappingError], payloads: Mapping[str, dict] | None = None) -> None:
        """Dead-letter records the mapping could not produce (nothing is written for them)."""
        ...

    def record_failed(self, items: Iterable[PlanItem], code: str, message: str, retryable: bool) -> None:
        """Dead-letter these items without writing them (e.g. a BOM level whose material failed)."""
        ...

    def apply_materials(self, items: list[PlanItem], progress: Progress | None = None) -> None:
        """Create or update the planned materials (one all-or-nothing unit per material)."""
        ...

    def apply_boms(self, levels: Mapping[str, list[PlanItem]], progress: Progress | None = None) -> None:
        """Apply BOM levels (`group_by_bom` of the plan, children before parents), each all-or-nothing."""
        ...


@runtime_checkable
class ERPConnection(Protocol):
    """An open connection to one ERP; close it (or use `with`). Thread-safe for reads.

    Reads never write; absent records are simply missing from the answer (no error). Read-back for
    verification is the same reads, made after the apply. Errors are the typed errors of
    `resources/transport/errors.py` (retryable or fatal, with the ERP's code and message).
    """

    @property
    def metrics(self) -> CallMetrics:
        """The calls made through this connection so far."""
        ...

    def read_materials(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Flat materials by key, in bulk (few calls for many keys); unknown keys are missing."""
        ...

    def read_boms(
        self, materials: Iterable[str], plant: str, usage: str = "1", *, include_drafts: bool = False
    ) -> Mapping[str, BomRead]:
        """The released (active) BOM of each material that has one, by material, in bulk reads; with
        `include_drafts`, the newest version that is a draft or released."""
        ...

    def plan_writer(
        self,
        store: StateStore,
        run_id: int,
        flow: str,
        spec: MappingSpec,
        source_versions: Mapping[str, str],
        log: logging.Logger | Any | None = None,
        change_number: str | None = None,
        change_numbers: Mapping[str, str] | None = None,
    ) -> PlanApplier:
        """A writer for one apply step of sync run `run_id`; `change_number` names the change under which
        edits of released BOMs are recorded (where the ERP keeps such a history); `change_numbers` (BOM
        material -> the PLM's change order number) overrides it per BOM."""
        ...

    def test_connection(self) -> dict[str, Any]:
        """Reachability, auth and permissions; never raises for an ERP-side failure (ok=False with the
        typed error's fields) and never returns a secret."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> ERPConnection: ...

    def __exit__(self, *exc: object) -> None: ...


class ERPConnector(Protocol):
    """What a configured ERP (a Dagster resource of any kind) gives the assets: connections."""

    def client(self, correlation_id: str | None = None, logger: Any = None) -> ERPConnection:
        """A new connection; every request carries `correlation_id` (the run's id)."""
        ...

    def test_connection(self) -> dict[str, Any]: ...

    def target_fields(self) -> Mapping[str, tuple[str, ...]]:
        """Entity -> the fields this ERP accepts (what a mapping spec may target); no call to the ERP."""
        ...
