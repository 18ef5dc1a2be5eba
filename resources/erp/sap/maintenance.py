"""`MaintenanceServices` (`ERPClient.maintenance`): the SAP services the maintenance flows use.

API_RESERVATION_DOCUMENT_SRV (reservations), API_MATERIAL_DOCUMENT_SRV (goods issues, reversals, receipts,
Cancel), API_MATERIAL_STOCK_SRV (stock), API_EQUIPMENT and API_MAINTENANCEORDER;v=0002.

Exactly once: a posting carries its reference in MaterialDocumentHeaderText and a reservation in its items'
ReservationItemText; before writing, and again after a write whose answer never arrived (the ERP may have
committed it), the client looks the reference up and returns what it finds instead of writing twice. A
cancellation is looked up by the original document's cancelled flag and the reversal that names it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from resources.erp.sap.batch import ChangesetResult, Operation, Part
from resources.erp.sap.http import odata_get, send_write
from resources.erp.sap.maintenance_payloads import (
    flat_with_etag,
    goods_movement_from_sap,
    goods_movement_to_sap,
    reservation_from_sap,
    reservation_to_sap,
    stock_from_sap,
    writable,
)
from resources.erp.sap.odata import chunks, key_predicate, odata_filter, odata_literal
from resources.transport import ApiClient, ApiError
from resources.transport.errors import error_class_for
from sync.records import GoodsIssue, Reservation

log = logging.getLogger("resources.erp.sap.maintenance")
RESERVATION_SERVICE = "/sap/opu/odata/sap/API_RESERVATION_DOCUMENT_SRV"
MATERIAL_DOCUMENT_SERVICE = "/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV"
STOCK_SERVICE = "/sap/opu/odata/sap/API_MATERIAL_STOCK_SRV"
EQUIPMENT_SERVICE = "/sap/opu/odata/sap/API_EQUIPMENT"
ORDER_SERVICE = "/sap/opu/odata/sap/API_MAINTENANCEORDER;v=0002"
ITEMS = "to_MaterialDocumentItem"
RESERVATION_ITEMS = "to_ReservationDocumentItem"

BatchSender = Callable[[list[list[Operation]]], list[ChangesetResult]]


def answer_lost(err: ApiError) -> bool:
    """No HTTP answer arrived (connection dropped, read timeout): the ERP may have committed the write."""
    return err.status is None


class MaintenanceServices:
    """Reservations, goods movements, stock, equipment and maintenance orders over one `ApiClient`."""

    def __init__(self, api: ApiClient, batch: BatchSender, *, plant: str, read_chunk_size: int = 40) -> None:
        self.api = api
        self._batch = batch
        self.plant = plant
        self.read_chunk_size = read_chunk_size

    # ---- reads -----------------------------------------------------------------------------------------

    def _entities(self, service: str, entity_set: str, **params: str) -> Iterator[dict[str, Any]]:
        route = f"{service}/{entity_set}"
        query: dict[str, str] | None = {"$format": "json", **{f"${k}": v for k, v in params.items() if v}}
        url: str | None = route
        while url is not None:
            d = odata_get(self.api, url, route=route, params=query)
            yield from d.get("results", [])
            url, query = d.get("__next"), None  # __next carries the whole query

    def _post(self, service: str, entity_set: str, body: Mapping[str, Any]) -> dict[str, Any]:
        response = send_write(
            self.api,
            "POST",
            f"{service}/{entity_set}",
            route=f"{service}/{entity_set}",
            json=body,
            headers={"Accept": "application/json"},
        )
        return response.json()["d"]

    # ---- reservations ------------------------------------------------------------------------------------

    def read_reservation(self, reservation: str) -> Reservation:
        path = f"{RESERVATION_SERVICE}/A_ReservationDocumentHeader{key_predicate(Reservation=reservation)}"
        d = odata_get(
            self.api,
            path,
            route=f"{RESERVATION_SERVICE}/A_ReservationDocumentHeader(...)",
            params={"$expand": RESERVATION_ITEMS},
        )
        return reservation_from_sap(d)

    def find_reservation(self, reference: str) -> Reservation | None:
        """The reservation whose items carry `reference` as their text (the earliest if several)."""
        items = list(
            self._entities(
                RESERVATION_SERVICE, "A_ReservationDocumentItem", filter=odata_filter(ReservationItemText=reference)
            )
        )
        numbers = sorted({i["Reservation"] for i in items})
        return self.read_reservation(numbers[0]) if numbers else None

    def create_reservation(self, reservation: Reservation) -> Reservation:
        """Deep insert, unless a reservation with the same reference exists already (then that one)."""
        body = reservation_to_sap(reservation)
        if reservation.reference and (found := self.find_reservation(reservation.reference)) is not None:
            return found
        try:
            return reservation_from_sap(self._post(RESERVATION_SERVICE, "A_ReservationDocumentHeader", body))
        except ApiError as err:
            if reservation.reference and answer_lost(err):
                found = self.find_reservation(reservation.reference)
                if found is not None:
                    log.info("erp: reservation %s was created before its answer was lost", reservation.reference)
                    return found
            raise

    def _item_path(self, reservation: str, item: str) -> str:
        keys = key_predicate(Reservation=reservation, ReservationItem=str(item).zfill(4), RecordType="")
        return f"{RESERVATION_SERVICE}/A_ReservationDocumentItem{keys}"

    def update_reservation_item(self, reservation: str, item: str, changes: Mapping[str, Any]) -> Reservation:
        """PATCH one item with SAP field names (quantity, requirement date, storage location, flags, texts);
        a PATCH is idempotent, so a lost answer is simply sent again by the caller. Returns the reservation."""
        send_write(
            self.api,
            "PATCH",
            self._item_path(reservation, item),
            route=f"{RESERVATION_SERVICE}/A_ReservationDocumentItem(...)",
            json=writable(changes),
        )
        return self.read_reservation(reservation)

    def mark_reservation_item_deleted(self, reservation: str, item: str) -> Reservation:
        """SAP deletes no reservation item through the API: it sets the deletion flag."""
        return self.update_reservation_item(reservation, item, {"ReservationItmIsMarkedForDeltn": True})

    # ---- goods movements -----------------------------------------------------------------------------------

    def find_postings(self, references: Iterable[str]) -> dict[str, GoodsIssue]:
        """Earlier postings by reference (MaterialDocumentHeaderText), in bulk; the earliest per reference."""
        found: dict[str, GoodsIssue] = {}
        for chunk in chunks(sorted(set(references)), self.read_chunk_size):
            entities = self._entities(
                MATERIAL_DOCUMENT_SERVICE,
                "A_MaterialDocumentHeader",
                expand=ITEMS,
                filter=odata_filter(MaterialDocumentHeaderText__in=chunk),
                orderby="MaterialDocumentYear,MaterialDocument",
            )
            for entity in entities:
                posting = goods_movement_from_sap(entity)
                found.setdefault(posting.reference, posting)
        return found

    def find_posting(self, reference: str) -> GoodsIssue | None:
        """The posting made earlier under `reference`, or None: look before any (re-)post."""
        return self.find_postings([reference]).get(reference)

    def post_goods_movement(self, issue: GoodsIssue) -> GoodsIssue:
        """Post one goods issue, reversal or receipt exactly once: an earlier posting under the same
        reference is returned instead of posting again, also when the answer to this post was lost."""
        body = goods_movement_to_sap(issue)
        if (earlier := self.find_posting(issue.reference)) is not None:
            return earlier
        try:
            return goods_movement_from_sap(self._post(MATERIAL_DOCUMENT_SERVICE, "A_MaterialDocumentHeader", body))
        except ApiError as err:
            if answer_lost(err) and (earlier := self.find_posting(issue.reference)) is not None:
                log.info("erp: posting %s was committed before its answer was lost", issue.reference)
                return earlier
            raise

    def post_goods_movements(self, issues: list[GoodsIssue]) -> list[GoodsIssue | ApiError]:
        """Many postings in `$batch` calls, one change set each (a failure stores nothing of that posting);
        one result per issue, in order: the posting (made now or earlier), or the typed error of its change set."""
        bodies = [goods_movement_to_sap(i) for i in issues]
        if len({i.reference for i in issues}) != len(issues):
            raise ValueError("post_goods_movements: two postings share a reference")
        results: dict[str, GoodsIssue | ApiError] = dict(self.find_postings(i.reference for i in issues))
        pending = [(issue, body) for issue, body in zip(issues, bodies, strict=True) if issue.reference not in results]
        changesets = [
            [
                Operation(
                    MATERIAL_DOCUMENT_SERVICE,
                    f"post_goods_movement {issue.reference}",
                    (Part("POST", "A_MaterialDocumentHeader", body),),
                    goods_movement_from_sap,
                )
            ]
            for issue, body in pending
        ]
        try:
            answers = self._batch(changesets) if changesets else []
        except ApiError as err:
            if not answer_lost(err):
                raise
            found = self.find_postings(issue.reference for issue, _ in pending)  # what exists now is the truth
            return [results.get(i.reference) or found.get(i.reference) or err for i in issues]
        for (issue, _), answer in zip(pending, answers, strict=True):
            body = answer.operations[0].body
            results[issue.reference] = body if answer.ok and body is not None else self._changeset_error(answer)
        return [results[i.reference] for i in issues]

    def _changeset_error(self, result: ChangesetResult) -> ApiError:
        return error_class_for(result.status or 500)(
            self.api.system,
            result.error_message or "change set failed",
            status=result.status,
            code=result.error_code,
            method="POST",
            route=f"{MATERIAL_DOCUMENT_SERVICE}/$batch",
        )

    def read_posting(self, document_year: str, document: str) -> GoodsIssue:
        keys = key_predicate(MaterialDocumentYear=document_year, MaterialDocument=document)
        d = odata_get(
            self.api,
            f"{MATERIAL_DOCUMENT_SERVICE}/A_MaterialDocumentHeader{keys}",
            route=f"{MATERIAL_DOCUMENT_SERVICE}/A_MaterialDocumentHeader(...)",
            params={"$expand": ITEMS},
        )
        return goods_movement_from_sap(d)

    def find_reversal(self, document_year: str, document: str) -> GoodsIssue | None:
        """The document that cancelled this one, if any."""
        flt = odata_filter(ReversedMaterialDocumentYear=document_year, ReversedMaterialDocument=document)
        items = list(self._entities(MATERIAL_DOCUMENT_SERVICE, "A_MaterialDocumentItem", filter=flt, top="1"))
        return self.read_posting(items[0]["MaterialDocumentYear"], items[0]["MaterialDocument"]) if items else None

    def cancel_posting(self, document_year: str, document: str, posting_date: datetime | None = None) -> GoodsIssue:
        """Reverse a material document with the Cancel function import, exactly once: a document cancelled
        already (also by a call whose answer was lost) returns its existing reversal."""
        if self.read_posting(document_year, document).cancelled:
            reversal = self.find_reversal(document_year, document)
            if reversal is not None:
                return reversal
        params = {"MaterialDocumentYear": odata_literal(document_year), "MaterialDocument": odata_literal(document)}
        if posting_date is not None:
            params["PostingDate"] = odata_literal(posting_date.replace(tzinfo=None))
        query = "&".join(f"{k}={v}" for k, v in params.items())
        try:
            response = send_write(
                self.api,
                "POST",
                f"{MATERIAL_DOCUMENT_SERVICE}/Cancel?{query}",
                route=f"{MATERIAL_DOCUMENT_SERVICE}/Cancel",
                headers={"Accept": "application/json"},
            )
        except ApiError as err:
            if answer_lost(err) and (reversal := self.find_reversal(document_year, document)) is not None:
                return reversal
            raise
        return goods_movement_from_sap(response.json()["d"])

    # ---- stock ---------------------------------------------------------------------------------------------

    def read_stock(
        self, materials: Iterable[str] | None = None, *, plant: str | None = None, storage_location: str | None = None
    ) -> list[dict[str, Any]]:
        """Unrestricted-use stock rows {Material, Plant, StorageLocation, InventoryStockType, unit, quantity}."""
        conditions: dict[str, Any] = {"Plant": plant or self.plant}
        if storage_location:
            conditions["StorageLocation"] = storage_location
        keys = sorted({m.upper() for m in materials}) if materials is not None else [None]
        rows: list[dict[str, Any]] = []
        for chunk in chunks(keys, self.read_chunk_size):
            flt = odata_filter(**conditions, **({"Material__in": chunk} if chunk != [None] else {}))
            rows += [stock_from_sap(e) for e in self._entities(STOCK_SERVICE, "A_MatlStkInAcctMod", filter=flt)]
        return rows

    # ---- equipment -------------------------------------------------------------------------------------------

    def read_equipment(self, equipment: str) -> dict[str, Any]:
        d = odata_get(
            self.api,
            f"{EQUIPMENT_SERVICE}/Equipment{key_predicate(Equipment=equipment)}",
            route=f"{EQUIPMENT_SERVICE}/Equipment(...)",
        )
        return flat_with_etag(d)

    def equipment_changed_since(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Every equipment, or those changed after `since` (aware datetime)."""
        flt = odata_filter(LastChangeDateTime__gt=since) if since is not None else ""
        return [flat_with_etag(e) for e in self._entities(EQUIPMENT_SERVICE, "Equipment", filter=flt)]

    def create_equipment(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create an equipment (SAP numbers it unless `Equipment` is given); returns it with `_etag`."""
        return flat_with_etag(self._post(EQUIPMENT_SERVICE, "Equipment", writable(fields)))

    def update_equipment(self, equipment: str, changes: Mapping[str, Any], etag: str) -> dict[str, Any]:
        """PATCH with If-Match (a stale etag -> PreconditionFailedError); returns it as stored afterwards."""
        if not etag:
            raise ValueError(f"equipment {equipment}: update_equipment needs the etag read with it")
        send_write(
            self.api,
            "PATCH",
            f"{EQUIPMENT_SERVICE}/Equipment{key_predicate(Equipment=equipment)}",
            route=f"{EQUIPMENT_SERVICE}/Equipment(...)",
            json=writable(changes),
            headers={"If-Match": etag},
        )
        return self.read_equipment(equipment)

    # ---- maintenance orders ----------------------------------------------------------------------------------

    def read_maintenance_order(self, order: str) -> dict[str, Any]:
        d = odata_get(
            self.api,
            f"{ORDER_SERVICE}/MaintenanceOrder{key_predicate(MaintenanceOrder=order)}",
            route=f"{ORDER_SERVICE}/MaintenanceOrder(...)",
        )
        return flat_with_etag(d)

    def create_maintenance_order(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create a maintenance order (numbered by SAP); not idempotent by itself: the caller keys it, e.g.
        by `MaintenanceNotification`, and looks with `maintenance_orders(...)` before creating again."""
        return flat_with_etag(self._post(ORDER_SERVICE, "MaintenanceOrder", writable(fields)))

    def maintenance_orders(self, **conditions: Any) -> list[dict[str, Any]]:
        """Orders matching `odata_filter` conditions, e.g. `Equipment="10000001"`."""
        flt = odata_filter(**conditions) if conditions else ""
        return [flat_with_etag(e) for e in self._entities(ORDER_SERVICE, "MaintenanceOrder", filter=flt)]
