"""The EAM -> ERP maintenance mapping spec (`mappings/eam_to_erp.yaml`): statuses, account, storerooms.

A bad spec raises `MaintenanceSpecError` naming the file and the field, before anything is read or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sync.checksum import checksum

REFERENCE_LENGTH = 25  # SAP MaterialDocumentHeaderText: the goods issue's idempotency key


class MaintenanceSpecError(ValueError):
    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file, self.field = file, field
        super().__init__(f"{file}: field {field!r} {problem}")


@dataclass(frozen=True)
class StorageLocation:
    plant: str
    storage_location: str


@dataclass(frozen=True)
class MaintenanceSpec:
    overlap_rowstamps: int
    reserve_statuses: frozenset[str]
    retire_statuses: frozenset[str]
    maintenance_orders_by_asset: dict[str, str]
    cost_centres: dict[str, str]
    storerooms: dict[str, StorageLocation]
    reference_prefix: str
    version: str
    file: str = "eam_to_erp.yaml"

    def storage_location(self, storeroom: str, what: str) -> StorageLocation:
        found = self.storerooms.get(storeroom)
        if found is None:
            raise ValueError(
                f"{what}: storeroom {storeroom!r} has no ERP plant/storage location in {self.file} (storerooms)"
            )
        return found

    def posting_reference(self, transaction_id: int) -> str:
        return f"{self.reference_prefix}{transaction_id}"


def _section(raw: dict[str, Any], name: str, file: str) -> dict[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise MaintenanceSpecError(file, name, "must be a mapping")
    return value


def _texts(value: Any, file: str, field: str) -> dict[str, str]:
    if not isinstance(value or {}, dict):
        raise MaintenanceSpecError(file, field, "must be a mapping of text to text")
    return {str(k): str(v) for k, v in (value or {}).items()}


def parse_maintenance_spec(raw: Any, file: str = "eam_to_erp.yaml") -> MaintenanceSpec:
    if not isinstance(raw, dict):
        raise MaintenanceSpecError(file, "(top level)", "must be a mapping")
    extract, reservation = _section(raw, "extract", file), _section(raw, "reservation", file)
    overlap = extract.get("overlap_rowstamps", 200)
    if not isinstance(overlap, int) or overlap < 0:
        raise MaintenanceSpecError(file, "extract.overlap_rowstamps", f"must be an integer >= 0, got {overlap!r}")
    storerooms = {}
    for name, where in _section(raw, "storerooms", file).items():
        if not isinstance(where, dict) or not where.get("plant") or not where.get("storage_location"):
            raise MaintenanceSpecError(file, f"storerooms.{name}", "needs plant and storage_location")
        storerooms[str(name)] = StorageLocation(str(where["plant"]), str(where["storage_location"]))
    prefix = str(_section(raw, "goods_issue", file).get("reference_prefix", "EAM-MT-"))
    if len(prefix) > REFERENCE_LENGTH - 10:
        raise MaintenanceSpecError(
            file,
            "goods_issue.reference_prefix",
            f"leaves too little of SAP's {REFERENCE_LENGTH} characters for the transaction id",
        )
    statuses = {}
    for field in ("reserve_statuses", "retire_statuses"):
        value = reservation.get(field) or []
        if not isinstance(value, list) or not value:
            raise MaintenanceSpecError(file, f"reservation.{field}", "must be a non-empty list of EAM statuses")
        statuses[field] = frozenset(str(s).upper() for s in value)
    return MaintenanceSpec(
        overlap_rowstamps=overlap,
        **statuses,
        maintenance_orders_by_asset=_texts(
            reservation.get("maintenance_orders_by_asset"), file, "reservation.maintenance_orders_by_asset"
        ),
        cost_centres=_texts(reservation.get("cost_centres"), file, "reservation.cost_centres"),
        storerooms=storerooms,
        reference_prefix=prefix,
        version=checksum(raw)[:12],
        file=file,
    )


def load_maintenance_spec(path: Path) -> MaintenanceSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MaintenanceSpecError(str(path), "(file)", f"cannot be read: {exc}") from None
    return parse_maintenance_spec(raw, str(path))
