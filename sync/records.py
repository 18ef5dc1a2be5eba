"""Canonical record types: the shapes every room agrees on.

Source side (PLM): Part, BomLine, ChangeOrder. These are what `PLMResource` returns and what the
sync engine maps. Target-side records (ERP materials and BOMs) are defined by the engine beside the
mapping that produces them. Plain frozen dataclasses so they hash, compare and serialise cheaply;
`to_row` / `from_row` move them in and out of pandas/pyarrow tables.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

T = TypeVar("T", bound="Record")


class Record:
    """Mixin: conversion to and from flat table rows (dict of plain values)."""

    entity: ClassVar[str]

    def to_row(self) -> dict[str, Any]:
        row = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            row[f.name] = value
        return row

    @classmethod
    def from_row(cls: type[T], row: dict[str, Any]) -> T:
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in row:
                continue
            value = row[f.name]
            if f.name in cls._tuple_fields() and value is not None:
                value = tuple(value)
            elif f.name in cls._decimal_fields() and value is not None and not isinstance(value, Decimal):
                value = Decimal(str(value))
            kwargs[f.name] = value
        return cls(**kwargs)

    @classmethod
    def _tuple_fields(cls) -> frozenset[str]:
        return frozenset()

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class Part(Record):
    """A PLM item at its effective (released) revision."""

    entity: ClassVar[str] = "part"

    number: str  # the PLM item number, the business key (e.g. "PRT-000123")
    name: str  # description as engineering wrote it
    revision: str  # effective revision letter/number (e.g. "B")
    uom: str  # PLM unit of measure (e.g. "EA", "mm", "kg")
    category: str  # PLM category name (e.g. "Assembly", "Machined Part", "Fastener")
    make_buy: str = "MAKE"  # "MAKE" or "BUY"
    lifecycle_phase: str = "Production"
    guid: str = ""  # the PLM's own id for the item
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    effective_at: datetime | None = None  # when the current revision became effective
    change_number: str = ""  # the PLM change order (ECO) that made the current revision effective


@dataclass(frozen=True, slots=True)
class BomLine(Record):
    """One line of a parent item's single-level BOM, as released in the PLM.

    Lines are unique per (parent_number, find_number). In a multi-level extract a shared
    subassembly's lines appear once; `level` and `path` describe its first occurrence in a
    depth-first walk from the top-level assembly (level 1 = direct child of the top).
    """

    entity: ClassVar[str] = "bom_line"

    parent_number: str
    parent_revision: str
    find_number: int  # the PLM's lineNumber; stable identity of a line within a parent
    component_number: str
    component_revision: str
    quantity: Decimal  # in `uom`, the component's unit
    uom: str
    ref_des: str = ""
    notes: str = ""
    level: int = 1
    path: tuple[str, ...] = ()  # item numbers from the top-level assembly down to the parent
    guid: str = ""  # the PLM's own id for the line

    @property
    def key(self) -> tuple[str, int]:
        return (self.parent_number, self.find_number)

    @classmethod
    def _tuple_fields(cls) -> frozenset[str]:
        return frozenset({"path"})

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity"})


@dataclass(frozen=True, slots=True)
class AffectedItem(Record):
    entity: ClassVar[str] = "affected_item"

    number: str
    old_revision: str | None
    new_revision: str
    guid: str = ""


@dataclass(frozen=True, slots=True)
class ChangeOrder(Record):
    """An engineering change order (ECO) and the items it releases."""

    entity: ClassVar[str] = "change_order"

    number: str
    title: str
    status: str  # e.g. "OPEN", "EFFECTIVE"
    effective_at: datetime | None = None
    affected_items: tuple[AffectedItem, ...] = ()
    guid: str = ""


# --- The sync-state contract: what the engine reads from and hands to the state store ---------------

OPERATIONS = ("create", "update", "delete")


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """What the state store remembers of one record last written to a target system."""

    entity: str  # target entity: "material", "bom_header", "bom_item"
    key: str  # the record's business key as a canonical string (see sync.keys)
    checksum: str  # checksum of the payload last written
    payload: dict[str, Any] | None = field(default=None, hash=False)  # that payload (for field-level conflicts)
    target_key: str | None = None  # the target system's own id, when it differs from the key
    source_version: str | None = None  # e.g. the PLM revision written
    target_version: str | None = None  # e.g. the ERP etag / LastChangeDateTime after the write
    spec_version: str | None = None  # mapping spec version hash used for the write


@dataclass(frozen=True, slots=True)
class AppliedChange:
    """One operation that the target accepted; stored with ID map, record state and audit in one transaction."""

    entity: str
    key: str
    operation: str  # one of OPERATIONS
    before: dict[str, Any] | None
    after: dict[str, Any] | None  # None for a delete
    checksum: str | None  # checksum of `after`; None for a delete
    target_key: str | None = None
    source_version: str | None = None
    target_version: str | None = None
    spec_version: str | None = None


@dataclass(frozen=True, slots=True)
class FailedChange:
    """One operation that could not be applied: it becomes a dead letter."""

    entity: str
    key: str
    operation: str
    payload: dict[str, Any] | None
    error_code: str  # the system's own code, or ours (e.g. "MAPPING_REQUIRED_MISSING")
    message: str
    retryable: bool
    severity: str = "operational"  # business impact: plant-critical, operational, reporting


# --- Maintenance (EAM <-> ERP): reservations of spare parts and the goods movements against them ----------


@dataclass(frozen=True, slots=True)
class ReservationItem(Record):
    """One reserved material of a reservation (SAP: A_ReservationDocumentItem)."""

    entity: ClassVar[str] = "reservation_item"

    material: str
    quantity: Decimal  # required quantity in the material's base unit
    unit: str = ""  # base unit; filled by the ERP on read
    plant: str = "1000"
    storage_location: str = ""
    requirement_date: datetime | None = None
    text: str = ""
    item: str = ""  # the ERP's item number ("0001"); empty until created
    withdrawn_quantity: Decimal = Decimal(0)
    finally_issued: bool = False
    marked_for_deletion: bool = False

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity", "withdrawn_quantity"})


@dataclass(frozen=True, slots=True)
class Reservation(Record):
    """Materials reserved for a cost centre (movement type 201) or an order (261)."""

    entity: ClassVar[str] = "reservation"

    movement_type: str  # "201" (cost centre) or "261" (order)
    items: tuple[ReservationItem, ...]
    cost_center: str = ""
    order: str = ""
    reference: str = ""  # the source's key (e.g. the EAM work order), written to each item's text
    reservation: str = ""  # the ERP's reservation number; empty until created
    requirement_date: datetime | None = None

    def to_row(self) -> dict[str, Any]:
        """Items as a list of rows, so a reservation is one table row with a nested list."""
        return {**super(Reservation, self).to_row(), "items": [i.to_row() for i in self.items]}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Reservation:
        items = tuple(
            i if isinstance(i, ReservationItem) else ReservationItem.from_row(i) for i in row.get("items") or ()
        )
        return dataclasses.replace(super(Reservation, cls).from_row({**row, "items": ()}), items=items)


@dataclass(frozen=True, slots=True)
class GoodsIssue(Record):
    """One goods movement of one material: an issue (201/261), its reversal (202/262) or a receipt for a
    production order (101). `reference` is its idempotency key (SAP: MaterialDocumentHeaderText, 25 chars)."""

    entity: ClassVar[str] = "goods_issue"

    reference: str  # e.g. the EAM material transaction id
    material: str
    quantity: Decimal  # in the material's base unit, always positive
    movement_type: str  # "201", "202", "261", "262", "101"
    plant: str = "1000"
    storage_location: str = ""
    unit: str = ""
    cost_center: str = ""
    order: str = ""  # maintenance/production order (ManufacturingOrder)
    reservation: str = ""
    reservation_item: str = ""
    final_issue: bool = False
    posting_date: datetime | None = None
    document: str = ""  # the ERP's material document number; empty until posted
    document_year: str = ""
    cancelled: bool = False  # the document was reversed by Cancel

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity"})


# --- EAM side (Maximo shape): work orders, their materials, material movements, balances, assets ---------


@dataclass(frozen=True, slots=True)
class WorkOrder(Record):
    """A maintenance work order; unique per (site, number)."""

    entity: ClassVar[str] = "work_order"

    number: str  # Maximo wonum
    site: str  # Maximo siteid
    status: str  # WAPPR, APPR, WMATL, INPRG, COMP, CLOSE, CAN
    description: str = ""
    asset: str | None = None  # assetnum
    location: str | None = None
    priority: int | None = None
    work_type: str | None = None  # PM, CM, EM, ...
    gl_account: str | None = None
    cost_center: str | None = None
    reported_at: datetime | None = None
    status_changed_at: datetime | None = None
    changed_at: datetime | None = None
    eam_id: int | None = None  # workorderid
    rowstamp: int | None = None  # the EAM's change sequence of the work order itself (not of its children)

    @property
    def key(self) -> tuple[str, str]:
        return (self.site, self.number)


@dataclass(frozen=True, slots=True)
class WorkOrderMaterial(Record):
    """A planned material line of a work order, with its reservation once the work order is approved."""

    entity: ClassVar[str] = "work_order_material"

    work_order: str
    site: str
    line_id: int  # Maximo wpitemid: stable identity of the line
    item: str  # itemnum (the ERP material number for ERP-known items)
    quantity: Decimal
    storeroom: str
    line_type: str = "ITEM"
    required_at: datetime | None = None
    reserved_quantity: Decimal | None = None  # None while not reserved
    actual_quantity: Decimal | None = None
    reservation_id: int | None = None
    rowstamp: int | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.site, self.work_order, self.line_id)

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity", "reserved_quantity", "actual_quantity"})


@dataclass(frozen=True, slots=True)
class MaterialTransaction(Record):
    """One issue to (negative quantity) or return from (positive) a work order; keyed by the EAM's id."""

    entity: ClassVar[str] = "material_transaction"

    transaction_id: int  # Maximo matusetransid: the idempotency key of the goods issue it becomes
    work_order: str
    site: str
    item: str
    storeroom: str
    quantity: Decimal  # signed as Maximo stores it: issue < 0, return > 0
    issue_type: str  # ISSUE | RETURN
    bin: str = ""
    asset: str | None = None
    transacted_at: datetime | None = None
    rowstamp: int | None = None

    @property
    def key(self) -> int:
        return self.transaction_id

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"quantity"})


@dataclass(frozen=True, slots=True)
class InventoryBalance(Record):
    """Stock of an item in a storeroom bin."""

    entity: ClassVar[str] = "inventory_balance"

    item: str
    storeroom: str
    site: str
    current_balance: Decimal
    bin: str = ""
    rowstamp: int | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.site, self.storeroom, self.item, self.bin)

    @classmethod
    def _decimal_fields(cls) -> frozenset[str]:
        return frozenset({"current_balance"})


@dataclass(frozen=True, slots=True)
class Asset(Record):
    """An installed asset (pump, conveyor, cabinet); `erp_equipment` links it to the ERP's equipment."""

    entity: ClassVar[str] = "asset"

    number: str  # assetnum
    site: str
    description: str = ""
    location: str | None = None
    status: str = "OPERATING"
    serial_number: str | None = None
    erp_equipment: str | None = None  # Maximo externalrefid
    rowstamp: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.site, self.number)
