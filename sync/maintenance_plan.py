"""EAM work orders and material transactions -> ERP reservation and goods-issue changes. Pure: no HTTP.

The link of a work order to its reservation (kept in the state store's record state, entity "reservation",
key "<site>/<wonum>") is a plain dict, `ReservationLink.to_payload()`: the reservation number, its account,
and per planned line (Maximo wpitemid) the ERP item number, material, quantity and deletion flag.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sync.maintenance_spec import MaintenanceSpec
from sync.records import GoodsIssue, MaterialTransaction, Record, Reservation, ReservationItem, WorkOrder
from sync.records import WorkOrderMaterial as PlannedLine

RESERVATION_OPS = ("create", "update_item", "flag_deleted", "retire", "error")
RETURN_OF = {"201": "202", "261": "262"}  # a RETURN reverses the issue's movement type


def work_order_key(site: str, number: str) -> str:
    return f"{site}/{number}"


def reservation_reference(site: str, number: str) -> str:
    """Written to each reservation item's text: how `find_reservation` recognises one created earlier."""
    return f"EAM-WO-{site}-{number}"


@dataclass(frozen=True, slots=True)
class ReservationChange(Record):
    """One change to the ERP reservation of one work order (a row of `erp/reservation_plan`)."""

    entity: ClassVar[str] = "reservation_change"

    key: str  # "<site>/<wonum>"
    op: str  # one of RESERVATION_OPS
    reservation: str = ""  # the ERP reservation number; empty for a create
    line_id: int | None = None  # the Maximo planned line (wpitemid) an item change is about
    erp_item: str = ""
    quantity_before: Decimal | None = None
    quantity_after: Decimal | None = None
    create: dict[str, Any] = field(default_factory=dict)  # the Reservation row to create, with line ids
    message: str = ""

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity_before", "quantity_after"})


@dataclass(frozen=True, slots=True)
class GoodsIssueChange(Record):
    """One EAM material transaction and the ERP goods movement it becomes (a row of `erp/goods_issue_plan`)."""

    entity: ClassVar[str] = "goods_issue_change"

    key: str  # the EAM transaction id (matusetransid)
    op: str  # post | held
    work_order: str  # "<site>/<wonum>"
    issue: dict[str, Any] = field(default_factory=dict)  # the GoodsIssue row to post
    rowstamp: int | None = None
    message: str = ""


def as_json(row: Any) -> Any:
    """A record row as plan tables carry it (JSON text): decimals as strings, instants as ISO text."""
    if isinstance(row, dict):
        return {k: as_json(v) for k, v in row.items()}
    if isinstance(row, list | tuple):
        return [as_json(v) for v in row]
    if isinstance(row, Decimal):
        return f"{row:f}"
    return row.isoformat() if isinstance(row, datetime) else row


def _instants(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {**row, **{n: datetime.fromisoformat(row[n]) for n in names if isinstance(row.get(n), str)}}


def reservation_to_create(change: ReservationChange) -> tuple[Reservation, list[int]]:
    row = change.create
    items = tuple(ReservationItem.from_row(_instants(i, "requirement_date")) for i in row["items"])
    return Reservation.from_row({**_instants(row, "requirement_date"), "items": items}), list(row["line_ids"])


def issue_to_post(change: GoodsIssueChange) -> GoodsIssue:
    return GoodsIssue.from_row(_instants(change.issue, "posting_date"))


def _lines_by_work_order(lines: Iterable[PlannedLine]) -> dict[str, list[PlannedLine]]:
    grouped: dict[str, list[PlannedLine]] = defaultdict(list)
    for line in lines:
        if line.line_type == "ITEM" and line.quantity > 0:  # tools and services are not reserved
            grouped[work_order_key(line.site, line.work_order)].append(line)
    return grouped


def new_reservation(spec: MaintenanceSpec, wo: WorkOrder, lines: list[PlannedLine]) -> Reservation:
    """201 against the work order's cost centre, or 261 against the maintenance order the spec names."""
    what = f"work order {wo.site}/{wo.number}"
    reference = reservation_reference(wo.site, wo.number)
    items = []
    for line in sorted(lines, key=lambda li: li.line_id):
        where = spec.storage_location(line.storeroom, f"{what} line {line.line_id}")
        items.append(
            ReservationItem(
                material=line.item,
                quantity=line.quantity,
                plant=where.plant,
                storage_location=where.storage_location,
                requirement_date=line.required_at,
                text=reference,
            )
        )
    order = spec.maintenance_orders_by_asset.get(wo.asset or "")
    if order:
        return Reservation(movement_type="261", items=tuple(items), order=order, reference=reference)
    if not wo.cost_center:
        raise ValueError(
            f"{what}: field 'costcenter' is missing and no maintenance order is mapped for asset "
            f"{wo.asset!r} in {spec.file} (reservation.maintenance_orders_by_asset)"
        )
    cost_center = spec.cost_centres.get(wo.cost_center, wo.cost_center)
    return Reservation(movement_type="201", items=tuple(items), cost_center=cost_center, reference=reference)


def plan_reservations(
    spec: MaintenanceSpec,
    work_orders: Iterable[WorkOrder],
    lines: Iterable[PlannedLine],
    links: Mapping[str, dict[str, Any]],
) -> list[ReservationChange]:
    """What the ERP reservations must receive; a work order whose reservation matches gives no change."""
    by_work_order = _lines_by_work_order(lines)
    changes: list[ReservationChange] = []
    for wo in sorted(work_orders, key=lambda w: w.key):
        key = work_order_key(wo.site, wo.number)
        link = links.get(key)
        if wo.status in spec.retire_statuses:
            if link and not link.get("retired"):
                changes.append(ReservationChange(key, "retire", reservation=link["reservation"]))
            continue
        if wo.status not in spec.reserve_statuses:
            continue
        wanted = by_work_order.get(key, [])
        if link is None:
            if wanted:
                changes.append(_create(spec, wo, key, wanted))
            continue
        if not link.get("retired"):
            changes += _item_changes(key, link, wanted)
    return changes


def _create(spec: MaintenanceSpec, wo: WorkOrder, key: str, wanted: list[PlannedLine]) -> ReservationChange:
    try:
        reservation = new_reservation(spec, wo, wanted)
    except ValueError as err:
        return ReservationChange(key, "error", message=str(err))
    line_ids = [line.line_id for line in sorted(wanted, key=lambda li: li.line_id)]
    return ReservationChange(key, "create", create={**as_json(reservation.to_row()), "line_ids": line_ids})


def _item_changes(key: str, link: dict[str, Any], wanted: list[PlannedLine]) -> list[ReservationChange]:
    number, items = link["reservation"], link["items"]
    changes = []
    for line in sorted(wanted, key=lambda li: li.line_id):
        stored = items.get(str(line.line_id))
        if stored is None:
            changes.append(
                ReservationChange(
                    key,
                    "error",
                    reservation=number,
                    line_id=line.line_id,
                    quantity_after=line.quantity,
                    message=f"work order {key} line {line.line_id} ({line.item}) was added "
                    f"after reservation {number} was created; the ERP's API adds no "
                    "items to a reservation, so it is not reserved",
                )
            )
        elif not stored["deleted"] and Decimal(stored["quantity"]) != line.quantity:
            changes.append(
                ReservationChange(
                    key,
                    "update_item",
                    reservation=number,
                    line_id=line.line_id,
                    erp_item=stored["item"],
                    quantity_before=Decimal(stored["quantity"]),
                    quantity_after=line.quantity,
                )
            )
    present = {str(line.line_id) for line in wanted}
    for line_id, stored in sorted(items.items()):
        if line_id not in present and not stored["deleted"]:
            changes.append(
                ReservationChange(
                    key,
                    "flag_deleted",
                    reservation=number,
                    line_id=int(line_id),
                    erp_item=stored["item"],
                    quantity_before=Decimal(stored["quantity"]),
                )
            )
    return changes


def link_payload(created: Reservation, line_ids: list[int]) -> dict[str, Any]:
    """The link of a just-created reservation: its items in the order they were sent, one per planned line."""
    if len(created.items) != len(line_ids):
        raise ValueError(
            f"reservation {created.reservation}: {len(created.items)} items read back for {len(line_ids)} planned lines"
        )
    items = {
        str(line_id): {
            "item": item.item,
            "material": item.material,
            "quantity": f"{item.quantity.normalize():f}",
            "plant": item.plant,
            "storage_location": item.storage_location,
            "deleted": False,
        }
        for line_id, item in zip(line_ids, created.items, strict=True)
    }
    return {
        "reservation": created.reservation,
        "movement_type": created.movement_type,
        "cost_center": created.cost_center,
        "order": created.order,
        "items": items,
        "retired": False,
    }


def applied_to_link(link: dict[str, Any], change: ReservationChange) -> dict[str, Any]:
    """The link after an item change or a retirement went through."""
    items = {line_id: dict(item) for line_id, item in link["items"].items()}
    if change.op == "update_item":
        items[str(change.line_id)]["quantity"] = f"{change.quantity_after.normalize():f}"  # type: ignore[union-attr]
    elif change.op == "flag_deleted":
        items[str(change.line_id)]["deleted"] = True
    elif change.op == "retire":
        for item in items.values():
            item["deleted"] = True
    return {**link, "items": items, "retired": link.get("retired", False) or change.op == "retire"}


# ---- goods issues ---------------------------------------------------------------------------------------------


def plan_goods_issues(
    spec: MaintenanceSpec,
    transactions: Iterable[MaterialTransaction],
    links: Mapping[str, dict[str, Any]],
    posted: set[str],
) -> list[GoodsIssueChange]:
    """One goods issue per ISSUE, one reversal per RETURN, for each transaction not posted yet; a transaction
    whose work order has no ERP reservation yet is held (the cursor stays below it, so it is read again)."""
    changes = []
    for txn in sorted(transactions, key=lambda t: t.transaction_id):
        key, wo_key = str(txn.transaction_id), work_order_key(txn.site, txn.work_order)
        if key in posted:
            continue
        link = links.get(wo_key)
        if link is None:
            changes.append(
                GoodsIssueChange(
                    key,
                    "held",
                    wo_key,
                    rowstamp=txn.rowstamp,
                    message=f"work order {wo_key} has no ERP reservation yet",
                )
            )
            continue
        try:
            issue = goods_movement(spec, txn, link)
        except ValueError as err:
            changes.append(GoodsIssueChange(key, "held", wo_key, rowstamp=txn.rowstamp, message=str(err)))
            continue
        changes.append(GoodsIssueChange(key, "post", wo_key, issue=as_json(issue.to_row()), rowstamp=txn.rowstamp))
    return changes


def goods_movement(spec: MaintenanceSpec, txn: MaterialTransaction, link: dict[str, Any]) -> GoodsIssue:
    what = f"material transaction {txn.transaction_id} of work order {txn.site}/{txn.work_order}"
    where = spec.storage_location(txn.storeroom, what)
    issue_movement = link["movement_type"]
    movement = issue_movement if txn.issue_type == "ISSUE" else RETURN_OF[issue_movement]
    item = next(
        (
            number
            for number, i in sorted(link["items"].items())
            if (i["material"], i["plant"], i["storage_location"]) == (txn.item, where.plant, where.storage_location)
            and not i["deleted"]
        ),
        None,
    )
    return GoodsIssue(
        reference=spec.posting_reference(txn.transaction_id),
        material=txn.item,
        quantity=abs(txn.quantity),
        movement_type=movement,
        plant=where.plant,
        storage_location=where.storage_location,
        cost_center=link["cost_center"] if issue_movement == "201" else "",
        order=link["order"] if issue_movement == "261" else "",
        reservation=link["reservation"] if item else "",
        reservation_item=link["items"][item]["item"] if item else "",
        posting_date=txn.transacted_at,
    )


def next_cursor(read_up_to: int, held_rowstamps: Iterable[int | None]) -> int:
    """Advance to what was read, but stay below the first held row so the next run reads it again."""
    held = [stamp for stamp in held_rowstamps if stamp is not None]
    return min([read_up_to, *[stamp - 1 for stamp in held]])


def delta_start(cursor: int, overlap: int) -> int:
    """Where a delta read starts: `overlap` rowstamps below the cursor (rows committed late are not lost)."""
    return max(0, cursor - overlap)
