"""The shop-floor mapping spec (`mappings/erp_to_mes.yaml`): which ERP production orders become MES product
orders with which parameters and variants, and how a completion is confirmed in the ERP. A bad spec fails
before any write, naming the file and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ERP_FIELDS = (
    "order",
    "material",
    "plant",
    "version",
    "text",
    "start_date",
    "due_date",
    "quantity",
    "unit",
    "components",
)
ERP_STATUSES = ("created", "released", "technically_completed", "closed", "deleted")
CLOSE_STATUSES = ("CLOSED", "CANCELLED")
COMPARED = ("quantity", "dueDate", "parameters", "variants")
REFERENCE_LIMIT = 25  # MaterialDocumentHeaderText; ConfirmationText takes 40
RECORDING_ID_LENGTH = 10  # "REC-000001"


class ShopFloorSpecError(ValueError):
    def __init__(self, file: str, field: str, message: str) -> None:
        super().__init__(f"{file}: {field}: {message}")
        self.file, self.field = file, field


@dataclass(frozen=True)
class ShopFloorSpec:
    version: str
    number_prefix: str
    sync_statuses: tuple[str, ...]
    close_statuses: dict[str, str]
    parameters: dict[str, str]
    variants: dict[str, str]
    compared: tuple[str, ...]
    reference_prefix: str
    operation: str
    final: bool
    receipt_storage_location: str  # "" = no goods receipt

    def reference(self, recording_id: str) -> str:
        return f"{self.reference_prefix}{recording_id}"


def _section(raw: dict[str, Any], name: str, file: str) -> dict[str, Any]:
    value = raw.get(name)
    if not isinstance(value, dict):
        raise ShopFloorSpecError(file, name, "section missing or not a mapping")
    return value


def _fields(value: Any, file: str, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ShopFloorSpecError(file, field, "must be a mapping of MES name -> ERP field")
    for name, source in value.items():
        if source not in ERP_FIELDS:
            raise ShopFloorSpecError(
                file, f"{field}.{name}", f"{source!r} is not an ERP field ({', '.join(ERP_FIELDS)})"
            )
    return {str(k): str(v) for k, v in value.items()}


def parse_shop_floor_spec(raw: Any, file: str = "erp_to_mes.yaml") -> ShopFloorSpec:
    if not isinstance(raw, dict):
        raise ShopFloorSpecError(file, "(file)", "not a YAML mapping")
    orders, confirmation = _section(raw, "product_order", file), _section(raw, "confirmation", file)
    statuses = tuple(orders.get("sync_statuses") or ())
    for where, values in (
        ("product_order.sync_statuses", statuses),
        ("product_order.close_statuses", orders.get("close_statuses") or {}),
    ):
        unknown = [s for s in values if s not in ERP_STATUSES]
        if unknown or not values:
            raise ShopFloorSpecError(
                file, where, f"needs ERP statuses of {', '.join(ERP_STATUSES)}; got {list(values)}"
            )
    close = {str(k): str(v) for k, v in orders["close_statuses"].items()}
    if bad := [v for v in close.values() if v not in CLOSE_STATUSES]:
        raise ShopFloorSpecError(
            file, "product_order.close_statuses", f"MES statuses must be {CLOSE_STATUSES}, got {bad}"
        )
    compared = tuple(orders.get("compared") or COMPARED)
    if bad := [c for c in compared if c not in COMPARED]:
        raise ShopFloorSpecError(file, "product_order.compared", f"{bad} not among {COMPARED}")
    prefix = str(confirmation.get("reference_prefix") or "")
    if not prefix or len(prefix) + RECORDING_ID_LENGTH > REFERENCE_LIMIT:
        raise ShopFloorSpecError(
            file, "confirmation.reference_prefix", f"1..{REFERENCE_LIMIT - RECORDING_ID_LENGTH} characters required"
        )
    receipt = confirmation.get("goods_receipt") or {}
    if not isinstance(receipt, dict):
        raise ShopFloorSpecError(file, "confirmation.goods_receipt", "must be a mapping (storage_location) or empty")
    return ShopFloorSpec(
        version=str(raw.get("version", "1")),
        number_prefix=str(orders.get("number_prefix") or ""),
        sync_statuses=statuses,
        close_statuses=close,
        parameters=_fields(orders.get("parameters") or {}, file, "product_order.parameters"),
        variants=_fields(orders.get("variants") or {}, file, "product_order.variants"),
        compared=compared,
        reference_prefix=prefix,
        operation=str(confirmation.get("operation") or "0010"),
        final=bool(confirmation.get("final", True)),
        receipt_storage_location=str(receipt.get("storage_location") or ""),
    )


def load_shop_floor_spec(path: Path) -> ShopFloorSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ShopFloorSpecError(str(path), "(file)", f"cannot be read: {exc}") from None
    return parse_shop_floor_spec(raw, path.name)
