"""Canonical maintenance records <-> SAP's OData v2 shapes: reservations, material documents, stock,
equipment and maintenance orders. Pure functions, no HTTP.

Flat reads of equipment and maintenance orders are SAP's own field dicts (decoded: dates as datetimes,
decimals as Decimal) plus `_etag` where SAP sends one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from resources.erp.sap.odata import decode_entity, encode_value, entity_etag
from sync.records import GoodsIssue, Reservation, ReservationItem

HEADER_TEXT_LENGTH = 25  # MaterialDocumentHeaderText: the idempotency key of a posting
ITEM_TEXT_LENGTH = 50  # ReservationItemText: carries a reservation's reference
ISSUE_CODE, RECEIPT_CODE = "03", "02"  # GoodsMovementCode: goods issue; goods receipt for a production order
RECEIPT_TYPES = {"101", "102"}
COST_CENTRE_TYPES = {"201", "202"}
ORDER_TYPES = {"261", "262", "101", "102"}


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _date(value: datetime | None) -> Any:
    if value is None:
        return None
    return encode_value(value if value.tzinfo else value.replace(tzinfo=UTC))


def _quantity(value: Decimal, what: str) -> str:
    if value <= 0:
        raise ValueError(f"{what}: quantity must be greater than zero, got {value}")
    return f"{value:f}"


# ---- reservations -------------------------------------------------------------------------------------


def reservation_to_sap(reservation: Reservation) -> dict[str, Any]:
    """Reservation -> A_ReservationDocumentHeader deep-insert body; the reference (when given) is each item's
    text, so `find_reservation` can look it up (SAP's header has no free text)."""
    what = f"reservation {reservation.reference or '(new)'}"
    if reservation.movement_type not in ("201", "261"):
        raise ValueError(
            f"{what}: movement type must be 201 (cost centre) or 261 (order), got {reservation.movement_type!r}"
        )
    if reservation.movement_type == "201" and not reservation.cost_center:
        raise ValueError(f"{what}: movement type 201 needs a cost centre")
    if reservation.movement_type == "261" and not reservation.order:
        raise ValueError(f"{what}: movement type 261 needs an order")
    if len(reservation.reference) > ITEM_TEXT_LENGTH:
        raise ValueError(f"{what}: reference is longer than SAP's {ITEM_TEXT_LENGTH} characters")
    if not reservation.items:
        raise ValueError(f"{what}: a reservation needs at least one item")
    body: dict[str, Any] = {"GoodsMovementType": reservation.movement_type}
    if reservation.movement_type == "201":
        body["CostCenter"] = reservation.cost_center
    else:
        body["OrderID"] = reservation.order
    if reservation.requirement_date:
        body["ReservationDate"] = _date(reservation.requirement_date)
    body["to_ReservationDocumentItem"] = [
        _reservation_item_to_sap(i, reservation.reference, what) for i in reservation.items
    ]
    return body


def _reservation_item_to_sap(item: ReservationItem, reference: str, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Product": item.material,
        "Plant": item.plant,
        "ResvnItmRequiredQtyInBaseUnit": _quantity(item.quantity, f"{what}, {item.material}"),
        "ReservationItemText": reference or item.text,
    }
    if item.storage_location:
        out["StorageLocation"] = item.storage_location
    if item.unit:
        out["EntryUnit"] = item.unit
    if item.requirement_date:
        out["MatlCompRequirementDate"] = _date(item.requirement_date)
    return out


def reservation_item_from_sap(entity: Mapping[str, Any]) -> ReservationItem:
    flat = decode_entity(entity)
    return ReservationItem(
        material=flat["Product"],
        quantity=_decimal(flat.get("ResvnItmRequiredQtyInBaseUnit")),
        unit=flat.get("BaseUnit", ""),
        plant=flat.get("Plant", ""),
        storage_location=flat.get("StorageLocation", ""),
        requirement_date=flat.get("MatlCompRequirementDate"),
        text=flat.get("ReservationItemText", ""),
        item=flat["ReservationItem"],
        withdrawn_quantity=_decimal(flat.get("ResvnItmWithdrawnQtyInBaseUnit")),
        finally_issued=bool(flat.get("ReservationItemIsFinallyIssued")),
        marked_for_deletion=bool(flat.get("ReservationItmIsMarkedForDeltn")),
    )


def reservation_from_sap(entity: Mapping[str, Any], items: list[Mapping[str, Any]] | None = None) -> Reservation:
    """A_ReservationDocumentHeader (items expanded, or passed separately) -> Reservation."""
    flat = decode_entity(entity)
    raw = items if items is not None else (entity.get("to_ReservationDocumentItem") or {}).get("results", [])
    parsed = tuple(sorted((reservation_item_from_sap(i) for i in raw), key=lambda i: i.item))
    return Reservation(
        movement_type=flat.get("GoodsMovementType", ""),
        items=parsed,
        cost_center=flat.get("CostCenter", ""),
        order=flat.get("OrderID", ""),
        reference=parsed[0].text if parsed else "",
        reservation=flat["Reservation"],
        requirement_date=flat.get("ReservationDate"),
    )


# ---- material documents -------------------------------------------------------------------------------


def goods_movement_to_sap(issue: GoodsIssue) -> dict[str, Any]:
    """GoodsIssue -> A_MaterialDocumentHeader deep-insert body with one item."""
    what = f"goods movement {issue.reference or '(no reference)'}"
    if not issue.reference or len(issue.reference) > HEADER_TEXT_LENGTH:
        raise ValueError(
            f"{what}: reference must be 1..{HEADER_TEXT_LENGTH} characters (it is the posting's "
            "MaterialDocumentHeaderText, looked up before any re-post)"
        )
    if issue.movement_type not in COST_CENTRE_TYPES | ORDER_TYPES:
        raise ValueError(f"{what}: movement type {issue.movement_type!r} is not one of 101 102 201 202 261 262")
    if not issue.storage_location:
        raise ValueError(f"{what}: storage location is required")
    item: dict[str, Any] = {
        "Material": issue.material,
        "Plant": issue.plant,
        "StorageLocation": issue.storage_location,
        "GoodsMovementType": issue.movement_type,
        "QuantityInEntryUnit": _quantity(issue.quantity, what),
    }
    if issue.unit:
        item["EntryUnit"] = issue.unit
    if issue.cost_center:
        item["CostCenter"] = issue.cost_center
    if issue.order:
        item["ManufacturingOrder"] = issue.order
    if issue.reservation:
        item.update(
            Reservation=issue.reservation,
            ReservationItem=issue.reservation_item or "1",
            ReservationIsFinallyIssued=issue.final_issue,
        )
    body: dict[str, Any] = {
        "GoodsMovementCode": RECEIPT_CODE if issue.movement_type in RECEIPT_TYPES else ISSUE_CODE,
        "MaterialDocumentHeaderText": issue.reference,
        "to_MaterialDocumentItem": [item],
    }
    if issue.posting_date:
        body["PostingDate"] = _date(issue.posting_date)
    return body


def goods_movement_from_sap(entity: Mapping[str, Any]) -> GoodsIssue:
    """A_MaterialDocumentHeader with its items expanded -> GoodsIssue (of its first item)."""
    flat = decode_entity(entity)
    items = flat.get("to_MaterialDocumentItem") or []
    if not items:
        raise ValueError(f"material document {flat.get('MaterialDocument')}: read without its items")
    first = items[0]
    return GoodsIssue(
        reference=flat.get("MaterialDocumentHeaderText", ""),
        material=first["Material"],
        quantity=_decimal(first.get("QuantityInEntryUnit")),
        movement_type=first["GoodsMovementType"],
        plant=first.get("Plant", ""),
        storage_location=first.get("StorageLocation", ""),
        unit=first.get("EntryUnit", ""),
        cost_center=first.get("CostCenter", ""),
        order=first.get("ManufacturingOrder", ""),
        reservation=first.get("Reservation", ""),
        reservation_item=first.get("ReservationItem", ""),
        final_issue=bool(first.get("ReservationIsFinallyIssued")),
        posting_date=flat.get("PostingDate"),
        document=flat["MaterialDocument"],
        document_year=flat["MaterialDocumentYear"],
        cancelled=any(bool(i.get("GoodsMovementIsCancelled")) for i in items),
    )


# ---- stock, equipment, maintenance orders ------------------------------------------------------------------


def stock_from_sap(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A_MatlStkInAcctMod -> {Material, Plant, StorageLocation, InventoryStockType, unit, quantity}."""
    flat = decode_entity(entity)
    return {
        "Material": flat["Material"],
        "Plant": flat["Plant"],
        "StorageLocation": flat["StorageLocation"],
        "InventoryStockType": flat.get("InventoryStockType", ""),
        "unit": flat.get("MaterialBaseUnit", ""),
        "quantity": _decimal(flat.get("MatlWrhsStkQtyInMatlBaseUnit")),
    }


def flat_with_etag(entity: Mapping[str, Any], etag: str | None = None) -> dict[str, Any]:
    """SAP's own fields (decoded) plus `_etag` (from the entity, or the answer's ETag header)."""
    flat = decode_entity(entity)
    flat["_etag"] = etag or entity_etag(entity)
    return flat


def writable(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A flat dict ready to send: "_" extras dropped, dates and decimals encoded."""
    return {k: encode_value(v) for k, v in fields.items() if not str(k).startswith("_")}
