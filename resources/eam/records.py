"""Maximo field dicts -> canonical records (`sync.records`); bad data names the record and the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.records import Asset, InventoryBalance, MaterialTransaction, WorkOrder, WorkOrderMaterial


class EAMDataError(ValueError):
    """A Maximo record the sync cannot read: names the object structure, the record and the field."""

    def __init__(self, structure: str, record: str, field: str, problem: str) -> None:
        self.structure, self.record, self.field = structure, record, field
        super().__init__(f"eam {structure} {record}: field {field!r} {problem}")


def _iso_instant(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # a time without an offset is taken as UTC


class _Reader:
    def __init__(self, structure: str, data: dict[str, Any], label: str) -> None:
        self.structure, self.data, self.label = structure, data, label

    def fail(self, field: str, problem: str) -> EAMDataError:
        return EAMDataError(self.structure, self.label, field, problem)

    def text(self, field: str) -> str:
        value = self.data.get(field)
        if value in (None, ""):
            raise self.fail(field, "is missing")
        return str(value)

    def optional(self, field: str) -> str | None:
        value = self.data.get(field)
        return None if value in (None, "") else str(value)

    def number(self, field: str, required: bool = True) -> Decimal | None:
        return self._parsed(field, required, lambda value: Decimal(str(value)), "a number", InvalidOperation)

    def integer(self, field: str, required: bool = False) -> int | None:
        return self._parsed(field, required, int, "an integer", (TypeError, ValueError))

    def instant(self, field: str) -> datetime | None:
        return self._parsed(field, False, _iso_instant, "an ISO date-time", ValueError)

    def _parsed(
        self,
        field: str,
        required: bool,
        parse: Callable[[Any], Any],
        kind: str,
        errors: type[Exception] | tuple[type[Exception], ...],
    ) -> Any:
        """The field parsed; None when absent (a failure when required), a failure naming it when malformed."""
        value = self.data.get(field)
        if value in (None, ""):
            if required:
                raise self.fail(field, "is missing")
            return None
        try:
            return parse(value)
        except errors:
            raise self.fail(field, f"is not {kind}: {value!r}") from None

    def rowstamp(self) -> int | None:
        return self.integer("_rowstamp")


def work_order(data: dict[str, Any]) -> WorkOrder:
    r = _Reader("MXAPIWODETAIL", data, f"work order {data.get('siteid')}/{data.get('wonum')}")
    return WorkOrder(
        number=r.text("wonum"),
        site=r.text("siteid"),
        status=r.text("status"),
        description=r.optional("description") or "",
        asset=r.optional("assetnum"),
        location=r.optional("location"),
        priority=r.integer("wopriority"),
        work_type=r.optional("worktype"),
        gl_account=r.optional("glaccount"),
        cost_center=r.optional("costcenter"),
        reported_at=r.instant("reportdate"),
        status_changed_at=r.instant("statusdate"),
        changed_at=r.instant("changedate"),
        eam_id=r.integer("workorderid"),
        rowstamp=r.rowstamp(),
    )


def work_order_materials(data: dict[str, Any]) -> list[WorkOrderMaterial]:
    """The planned lines of a work order read with `wpmaterial{*},invreserve{*}`, joined to reservations."""
    wo = _Reader("MXAPIWODETAIL", data, f"work order {data.get('siteid')}/{data.get('wonum')}")
    number, site = wo.text("wonum"), wo.text("siteid")
    reservations = {res.get("wpitemid"): res for res in data.get("invreserve") or []}
    lines = []
    for line in data.get("wpmaterial") or []:
        r = _Reader("MXAPIWODETAIL", line, f"work order {site}/{number} wpmaterial {line.get('wpitemid')}")
        line_id = r.integer("wpitemid", required=True)
        res = reservations.get(line_id)
        rr = _Reader("MXAPIWODETAIL", res or {}, f"work order {site}/{number} invreserve for line {line_id}")
        lines.append(
            WorkOrderMaterial(
                work_order=number,
                site=site,
                line_id=line_id,
                item=r.text("itemnum"),
                quantity=r.number("itemqty"),
                storeroom=r.text("location"),  # type: ignore[arg-type]
                line_type=r.optional("linetype") or "ITEM",
                required_at=r.instant("requiredate"),
                reserved_quantity=rr.number("reservedqty", required=False) if res else None,
                actual_quantity=rr.number("actualqty", required=False) if res else None,
                reservation_id=rr.integer("invreserveid") if res else None,
                rowstamp=r.rowstamp(),
            )
        )
    return lines


def material_transaction(
    data: dict[str, Any], work_order_number: str | None = None, site: str | None = None
) -> MaterialTransaction:
    r = _Reader("MATUSETRANS", data, f"material transaction {data.get('matusetransid')}")
    issue_type = r.text("issuetype").upper()
    if issue_type not in ("ISSUE", "RETURN"):
        raise r.fail("issuetype", f"must be ISSUE or RETURN, got {issue_type!r}")
    return MaterialTransaction(
        transaction_id=r.integer("matusetransid", required=True),  # type: ignore[arg-type]
        work_order=work_order_number or r.text("refwo"),
        site=site or r.text("siteid"),
        item=r.text("itemnum"),
        storeroom=r.text("storeloc"),
        quantity=r.number("quantity"),  # type: ignore[arg-type]
        issue_type=issue_type,
        bin=r.optional("binnum") or "",
        asset=r.optional("assetnum"),
        transacted_at=r.instant("transdate"),
        rowstamp=r.rowstamp(),
    )


def inventory_balance(data: dict[str, Any]) -> InventoryBalance:
    r = _Reader("MXAPIINVBAL", data, f"balance {data.get('itemnum')}@{data.get('location')}")
    return InventoryBalance(
        item=r.text("itemnum"),
        storeroom=r.text("location"),
        site=r.text("siteid"),
        current_balance=r.number("curbal"),  # type: ignore[arg-type]
        bin=r.optional("binnum") or "",
        rowstamp=r.rowstamp(),
    )


def asset(data: dict[str, Any]) -> Asset:
    r = _Reader("MXAPIASSET", data, f"asset {data.get('siteid')}/{data.get('assetnum')}")
    return Asset(
        number=r.text("assetnum"),
        site=r.text("siteid"),
        description=r.optional("description") or "",
        location=r.optional("location"),
        status=r.optional("status") or "OPERATING",
        serial_number=r.optional("serialnum"),
        erp_equipment=r.optional("externalrefid"),
        rowstamp=r.rowstamp(),
    )


CONVERTERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "mxapiwodetail": work_order,
    "mxapiinvbal": inventory_balance,
    "mxapiasset": asset,
    "mxapimatusetrans": material_transaction,
}
