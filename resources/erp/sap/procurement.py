"""Stock coverage and purchase requisitions (API_PURCHASEREQ_PROCESS_SRV) for the condition flow.

`available` is unrestricted-use stock minus what open reservations still need (required minus withdrawn,
items neither deleted nor finally issued). A requisition carries the caller's reference in every item's
`PurchaseRequisitionItemText`; `create_requisition` looks it up first, and again after an answer that never
arrived, so a retry does not order twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from resources.erp.sap.maintenance import RESERVATION_SERVICE, MaintenanceServices, answer_lost
from resources.erp.sap.odata import odata_filter
from resources.transport import ApiError

REQUISITION_SERVICE = "/sap/opu/odata/sap/API_PURCHASEREQ_PROCESS_SRV"
ITEMS = "to_PurchaseReqnItem"


@dataclass(frozen=True)
class Requisition:
    number: str
    material: str
    quantity: Decimal
    reference: str


class Procurement:
    """Over the maintenance services' `ApiClient` (same session, CSRF token and call counts)."""

    def __init__(self, maintenance: MaintenanceServices) -> None:
        self._m = maintenance
        self.plant = maintenance.plant

    def open_reserved(self, material: str, storage_location: str) -> Decimal:
        flt = odata_filter(Product=material, Plant=self.plant)
        total = Decimal(0)
        for item in self._m._entities(RESERVATION_SERVICE, "A_ReservationDocumentItem", filter=flt):
            if item.get("ReservationItmIsMarkedForDeltn") or item.get("ReservationItemIsFinallyIssued"):
                continue
            if storage_location and item.get("StorageLocation") not in ("", storage_location):
                continue
            need = Decimal(str(item["ResvnItmRequiredQtyInBaseUnit"])) - Decimal(
                str(item.get("ResvnItmWithdrawnQtyInBaseUnit") or 0)
            )
            total += max(need, Decimal(0))
        return total

    def available(self, material: str, storage_location: str) -> tuple[Decimal, Decimal, Decimal]:
        """(unrestricted stock, open reservations, available = stock - reserved)."""
        stock = sum(
            (r["quantity"] for r in self._m.read_stock([material], storage_location=storage_location)), Decimal(0)
        )
        reserved = self.open_reserved(material, storage_location)
        return stock, reserved, stock - reserved

    def find_requisition(self, reference: str) -> Requisition | None:
        flt = odata_filter(PurchaseRequisitionItemText=reference)
        for item in self._m._entities(REQUISITION_SERVICE, "A_PurchaseRequisitionItem", filter=flt):
            return _requisition(item, reference)
        return None

    def create_requisition(
        self, material: str, quantity: Decimal, storage_location: str, reference: str, description: str
    ) -> Requisition:
        if (found := self.find_requisition(reference)) is not None:
            return found
        body = {
            "PurchaseRequisitionType": "NB",
            "PurReqnDescription": description[:40],
            ITEMS: [
                {
                    "Material": material,
                    "Plant": self.plant,
                    "StorageLocation": storage_location,
                    "RequestedQuantity": str(quantity),
                    "PurchaseRequisitionItemText": reference,
                    "RequisitionerName": "MFG-SYNC",
                }
            ],
        }
        try:
            created = self._m._post(REQUISITION_SERVICE, "A_PurchaseRequisitionHeader", body)
        except ApiError as err:
            if answer_lost(err) and (found := self.find_requisition(reference)) is not None:
                return found
            raise
        return _requisition(created[ITEMS]["results"][0], reference)


def _requisition(item: dict[str, Any], reference: str) -> Requisition:
    return Requisition(
        item["PurchaseRequisition"], item["Material"], Decimal(str(item["RequestedQuantity"])), reference
    )
