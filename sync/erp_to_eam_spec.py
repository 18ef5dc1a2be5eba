"""The ERP -> EAM mapping spec (`mappings/erp_to_eam.yaml`): sites, storerooms, units, asset field ownership.

A bad spec raises `MaintenanceSpecError` naming the file and the field, before anything is read or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from sync.checksum import checksum
from sync.maintenance_spec import MaintenanceSpecError

OWNERS = {"erp": "erp_to_eam", "eam": "eam_to_erp"}  # owner -> the only direction its field moves
WRONG_SIDE_RULES = ("revert", "conflict")
FIELD_TYPES = ("text", "decimal", "boolean")
PENDING_RULES = ("adjust", "skip")


@dataclass(frozen=True)
class UnitConversion:
    erp_unit: str
    eam_unit: str
    factor: Decimal  # EAM issue units per ERP base unit


@dataclass(frozen=True)
class AssetField:
    name: str
    erp: str  # the ERP Equipment field
    eam: str  # the EAM asset field
    owner: str  # "erp" | "eam"
    on_wrong_side: str  # "revert" | "conflict"
    type: str = "text"
    lookup: str | None = None  # "cost_centres": ERP code -> EAM code
    eam_values: tuple[tuple[str, Any], ...] = ()  # EAM value -> ERP value; any other EAM value -> the type's empty

    @property
    def direction(self) -> str:
        return OWNERS[self.owner]


@dataclass(frozen=True)
class ErpToEamSpec:
    site_plants: dict[str, str]
    storerooms: dict[tuple[str, str], str]  # (plant, storage location) -> EAM storeroom
    conversions: dict[tuple[str, str], Decimal]
    item_units: dict[str, UnitConversion]
    cost_centres: dict[str, str]
    pending_transactions: str
    asset_number: str
    new_asset_status: str
    description_from: str
    fields: tuple[AssetField, ...]
    overlap_rowstamps: int  # the EAM asset delta re-reads this far below its cursor
    version: str
    file: str = "erp_to_eam.yaml"

    def plant(self, site: str) -> str:
        if site not in self.site_plants:
            raise ValueError(f"site {site!r} has no ERP plant in {self.file} (sites)")
        return self.site_plants[site]

    def storage_locations(self, site: str) -> dict[tuple[str, str], str]:
        """(plant, storage location) -> storeroom for the site's plant."""
        plant = self.plant(site)
        return {where: room for where, room in self.storerooms.items() if where[0] == plant}

    def factor(self, item: str, erp_unit: str, eam_unit: str) -> Decimal:
        """EAM issue units per ERP base unit for `item`; a ValueError naming the item and units when unknown."""
        special = self.item_units.get(item)
        if special is not None and (special.erp_unit, special.eam_unit) == (erp_unit, eam_unit):
            return special.factor
        if erp_unit == eam_unit:
            return Decimal(1)
        found = self.conversions.get((erp_unit, eam_unit))
        if found is None:
            raise ValueError(
                f"item {item}: no conversion from ERP unit {erp_unit!r} to EAM issue unit {eam_unit!r} in "
                f"{self.file} (units)"
            )
        return found

    def new_asset_number(self, equipment: str) -> str:
        return self.asset_number.format(equipment=equipment)


def _section(raw: dict[str, Any], name: str, file: str) -> dict[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise MaintenanceSpecError(file, name, "must be a mapping")
    return value


def _factor(value: Any, file: str, field: str) -> Decimal:
    try:
        factor = Decimal(str(value))
    except InvalidOperation:
        raise MaintenanceSpecError(file, field, f"must be a number, got {value!r}") from None
    if not factor.is_finite() or factor <= 0:
        raise MaintenanceSpecError(file, field, f"must be a number above 0, got {value!r}")
    return factor


def _conversion(entry: Any, file: str, field: str) -> UnitConversion:
    if not isinstance(entry, dict) or not entry.get("erp_unit") or not entry.get("eam_unit"):
        raise MaintenanceSpecError(file, field, "needs erp_unit, eam_unit and factor")
    return UnitConversion(str(entry["erp_unit"]), str(entry["eam_unit"]), _factor(entry.get("factor"), file, field))


def _field(name: str, raw: Any, file: str) -> AssetField:
    where = f"asset_master.fields.{name}"
    if not isinstance(raw, dict) or not raw.get("erp") or not raw.get("eam"):
        raise MaintenanceSpecError(file, where, "needs erp and eam field names")
    owner = str(raw.get("owner", ""))
    if owner not in OWNERS:
        raise MaintenanceSpecError(file, f"{where}.owner", f"must be erp or eam, got {owner!r}")
    direction = str(raw.get("direction", OWNERS[owner]))
    if direction != OWNERS[owner]:
        raise MaintenanceSpecError(
            file, f"{where}.direction", f"must be {OWNERS[owner]} for a field the {owner.upper()} owns"
        )
    rule = str(raw.get("on_wrong_side", ""))
    if rule not in WRONG_SIDE_RULES:
        raise MaintenanceSpecError(file, f"{where}.on_wrong_side", f"must be revert or conflict, got {rule!r}")
    kind = str(raw.get("type", "text"))
    if kind not in FIELD_TYPES:
        raise MaintenanceSpecError(file, f"{where}.type", f"must be one of {', '.join(FIELD_TYPES)}, got {kind!r}")
    lookup = raw.get("lookup")
    if lookup not in (None, "cost_centres"):
        raise MaintenanceSpecError(file, f"{where}.lookup", f"must be cost_centres, got {lookup!r}")
    values = raw.get("eam_values") or {}
    if not isinstance(values, dict):
        raise MaintenanceSpecError(file, f"{where}.eam_values", "must be a mapping of EAM value to ERP value")
    if values and owner != "eam":
        raise MaintenanceSpecError(file, f"{where}.eam_values", "only an EAM-owned field can map its values")
    return AssetField(
        name, str(raw["erp"]), str(raw["eam"]), owner, rule, kind, lookup, tuple((str(k), v) for k, v in values.items())
    )


def parse_erp_to_eam_spec(raw: Any, file: str = "erp_to_eam.yaml") -> ErpToEamSpec:
    if not isinstance(raw, dict):
        raise MaintenanceSpecError(file, "(top level)", "must be a mapping")
    sites = {}
    for site, where in _section(raw, "sites", file).items():
        if not isinstance(where, dict) or not where.get("plant"):
            raise MaintenanceSpecError(file, f"sites.{site}", "needs plant")
        sites[str(site)] = str(where["plant"])
    if not sites:
        raise MaintenanceSpecError(file, "sites", "must name at least one EAM site and its ERP plant")
    storerooms = {}
    for where, room in _section(raw, "storerooms", file).items():
        plant, _, location = str(where).partition("/")
        if not plant or not location or not room:
            raise MaintenanceSpecError(file, f"storerooms.{where}", "must be 'plant/storage location': STOREROOM")
        storerooms[(plant, location)] = str(room)
    units = _section(raw, "units", file)
    conversions_raw = units.get("conversions") or []
    if not isinstance(conversions_raw, list):
        raise MaintenanceSpecError(file, "units.conversions", "must be a list")
    conversions = {}
    for position, entry in enumerate(conversions_raw):
        found = _conversion(entry, file, f"units.conversions[{position}]")
        conversions[(found.erp_unit, found.eam_unit)] = found.factor
    items_raw = units.get("items") or {}
    if not isinstance(items_raw, dict):
        raise MaintenanceSpecError(file, "units.items", "must be a mapping of item to conversion")
    items = {str(item): _conversion(entry, file, f"units.items.{item}") for item, entry in items_raw.items()}
    cost_centres = _section(raw, "cost_centres", file)
    pending = str(_section(raw, "stock", file).get("pending_transactions", "adjust"))
    if pending not in PENDING_RULES:
        raise MaintenanceSpecError(file, "stock.pending_transactions", f"must be adjust or skip, got {pending!r}")
    master = _section(raw, "asset_master", file)
    create = master.get("create") or {}
    if not isinstance(create, dict) or "{equipment}" not in str(create.get("asset_number", "{equipment}")):
        raise MaintenanceSpecError(file, "asset_master.create.asset_number", "must contain {equipment}")
    fields_raw = master.get("fields") or {}
    if not isinstance(fields_raw, dict) or not fields_raw:
        raise MaintenanceSpecError(file, "asset_master.fields", "must map at least one field")
    fields = tuple(_field(str(name), value, file) for name, value in fields_raw.items())
    overlap = master.get("overlap_rowstamps", 200)
    if not isinstance(overlap, int) or isinstance(overlap, bool) or overlap < 0:
        raise MaintenanceSpecError(file, "asset_master.overlap_rowstamps", f"must be an integer >= 0, got {overlap!r}")
    return ErpToEamSpec(
        site_plants=sites,
        storerooms=storerooms,
        conversions=conversions,
        item_units=items,
        cost_centres={str(k): str(v) for k, v in cost_centres.items()},
        pending_transactions=pending,
        asset_number=str(create.get("asset_number", "{equipment}")),
        new_asset_status=str(create.get("status", "NOT READY")),
        description_from=str(create.get("description_from", "EquipmentName")),
        fields=fields,
        overlap_rowstamps=overlap,
        version=checksum(raw)[:12],
        file=file,
    )


def load_erp_to_eam_spec(path: Path) -> ErpToEamSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MaintenanceSpecError(str(path), "(file)", f"cannot be read: {exc}") from None
    return parse_erp_to_eam_spec(raw, str(path))
