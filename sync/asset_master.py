"""ERP equipment vs EAM assets, field by field, by the ownership the spec declares (`asset_master.fields`).

Pure functions, free of Dagster and of any client. Values are compared in the ERP's terms (a cost centre
looked up, an EAM status mapped to the ERP flag, decimals normalised). The baseline is what both sides
last agreed on (the state store keeps it per asset): against it the side that changed a field is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.erp_to_eam_spec import AssetField, ErpToEamSpec

# verdicts of a differing field: the owner's change moves, the wrong side is reverted, or a person decides
MOVE, REVERT, ALIGN, CONFLICT = "move", "revert", "align", "conflict"


@dataclass(frozen=True)
class FieldDifference:
    equipment: str
    asset: str
    field: str
    erp_value: Any  # canonical, in the ERP's terms
    eam_value: Any
    baseline: Any  # last agreed value; None when never agreed
    owner: str
    verdict: str  # move | revert | align (no baseline: the owner's value) | conflict
    write_to: str | None  # "erp" | "eam" | None (a conflict writes nothing)


@dataclass(frozen=True)
class AssetChange:
    """One asset's planned work: `create`, `update` (EAM and/or ERP fields), `baseline` only, or `error`."""

    op: str
    equipment: str
    asset: str
    eam_fields: dict[str, Any] = field(default_factory=dict)  # EAM field -> value to write
    erp_fields: dict[str, Any] = field(default_factory=dict)  # ERP field -> value to write
    conflicts: tuple[FieldDifference, ...] = ()
    baseline: dict[str, Any] = field(default_factory=dict)  # to record once the writes are done; {}: unchanged
    message: str = ""


def _empty(kind: str) -> Any:
    return False if kind == "boolean" else None


def canonical(kind: str, value: Any) -> Any:
    """A comparable, JSON-storable value: text stripped (empty = None), decimals as plain text, booleans."""
    if kind == "boolean":
        return str(value).strip().lower() in ("true", "1", "y", "x") if value is not None else False
    if value is None or str(value).strip() == "":
        return None
    if kind == "decimal":
        try:
            return f"{Decimal(str(value)).normalize():f}"
        except InvalidOperation:
            return str(value).strip()
    return str(value).strip()


def erp_value(spec: ErpToEamSpec, f: AssetField, equipment: Mapping[str, Any]) -> Any:
    return canonical(f.type, equipment.get(f.erp))


def eam_value(spec: ErpToEamSpec, f: AssetField, asset: Mapping[str, Any]) -> Any:
    """The EAM value in the ERP's terms."""
    raw = asset.get(f.eam)
    if f.eam_values:
        return canonical(f.type, dict(f.eam_values).get(str(raw), _empty(f.type)))
    if f.lookup == "cost_centres" and raw is not None:
        raw = {eam: erp for erp, eam in spec.cost_centres.items()}.get(str(raw), raw)
    return canonical(f.type, raw)


def to_eam(spec: ErpToEamSpec, f: AssetField, value: Any) -> Any:
    """An ERP-owned canonical value as the EAM field takes it."""
    if value is not None and f.lookup == "cost_centres":
        value = spec.cost_centres.get(value, value)
    return float(value) if value is not None and f.type == "decimal" else value


def to_erp(f: AssetField, value: Any) -> Any:
    if f.type == "boolean":
        return bool(value)
    return "" if value is None else str(value)


def _verdict(f: AssetField, erp: Any, eam: Any, baseline: Any, known: bool) -> tuple[str, str | None]:
    other = "eam" if f.owner == "erp" else "erp"
    if not known:
        return ALIGN, other
    owner_changed = (erp if f.owner == "erp" else eam) != baseline
    wrong_changed = (eam if f.owner == "erp" else erp) != baseline
    if owner_changed and wrong_changed:
        return CONFLICT, None  # changed on both sides: a person decides
    if owner_changed:
        return MOVE, other
    if f.on_wrong_side == "revert":
        return REVERT, other
    return CONFLICT, None


def linked(equipment: Iterable[Mapping[str, Any]], assets: Iterable[Mapping[str, Any]]) -> dict[str, tuple[dict, dict]]:
    """ERP equipment number -> (equipment, EAM asset) for the assets whose externalrefid names it."""
    by_number = {str(e["Equipment"]): dict(e) for e in equipment}
    pairs = {}
    for asset in sorted(assets, key=lambda a: str(a.get("assetnum"))):
        number = str(asset.get("externalrefid") or "")
        if number in by_number and number not in pairs:
            pairs[number] = (by_number[number], dict(asset))
    return pairs


def changed_in_erp(
    spec: ErpToEamSpec, equipment: Iterable[Mapping[str, Any]], baselines: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Equipment numbers whose EAM counterpart must be read: never agreed (no baseline: new, or never
    aligned), or a spec field in the ERP no longer what both sides last agreed on."""
    found = []
    for equip in equipment:
        number = str(equip["Equipment"])
        base = baselines.get(number)
        if not base or any(f.name not in base or erp_value(spec, f, equip) != base[f.name] for f in spec.fields):
            found.append(number)
    return sorted(found)


def diff_asset_master(
    spec: ErpToEamSpec,
    equipment: Iterable[Mapping[str, Any]],
    assets: Iterable[Mapping[str, Any]],
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[FieldDifference]:
    """The spec's fields on which linked ERP equipment and EAM assets disagree, with what to do about each.

    `equipment`: ERP Equipment records (SAP field names); `assets`: EAM assets (Maximo field names, linked
    by `externalrefid` = equipment number); `baselines`: equipment number -> {spec field name: last agreed
    value}. Without a baseline a differing field is `align`ed to its owner's value.
    """
    baselines = baselines or {}
    found = []
    for number, (equip, asset) in sorted(linked(equipment, assets).items()):
        base = baselines.get(number) or {}
        for f in spec.fields:
            erp, eam = erp_value(spec, f, equip), eam_value(spec, f, asset)
            if erp == eam:
                continue
            verdict, write_to = _verdict(f, erp, eam, base.get(f.name), f.name in base)
            found.append(
                FieldDifference(
                    number, str(asset["assetnum"]), f.name, erp, eam, base.get(f.name), f.owner, verdict, write_to
                )
            )
    return found


def new_asset(spec: ErpToEamSpec, site: str, equip: Mapping[str, Any]) -> AssetChange:
    """The EAM asset for equipment commissioned in the ERP: every mapped field from the ERP at first."""
    number = str(equip["Equipment"])
    data: dict[str, Any] = {
        "assetnum": spec.new_asset_number(number),
        "siteid": site,
        "description": str(equip.get(spec.description_from) or "")[:100],
        "externalrefid": number,
        "status": spec.new_asset_status,
    }
    baseline = {}
    for f in spec.fields:
        if f.eam_values:  # a mapped EAM value (the status) starts as the spec says
            baseline[f.name] = eam_value(spec, f, data)
            continue
        baseline[f.name] = erp_value(spec, f, equip)
        data[f.eam] = to_eam(spec, f, baseline[f.name])
    return AssetChange("create", number, data["assetnum"], eam_fields=data, baseline=baseline)


def plan_asset_master(
    spec: ErpToEamSpec,
    site: str,
    equipment: Iterable[Mapping[str, Any]],
    assets: Iterable[Mapping[str, Any]],
    baselines: Mapping[str, Mapping[str, Any]],
) -> list[AssetChange]:
    """Per ERP equipment of the site's plant: create its EAM asset, write owned fields to the other side,
    record conflicts, or only move the baseline. A re-run after the writes plans nothing."""
    plant = spec.plant(site)
    equipment = [dict(e) for e in equipment if str(e.get("MaintenancePlant") or "") == plant]
    assets = list(assets)
    pairs = linked(equipment, assets)
    differences: dict[str, list[FieldDifference]] = {}
    for d in diff_asset_master(spec, equipment, assets, baselines):
        differences.setdefault(d.equipment, []).append(d)
    changes = []
    for equip in sorted(equipment, key=lambda e: str(e["Equipment"])):
        number = str(equip["Equipment"])
        if number not in pairs:
            if not canonical("boolean", equip.get("EquipmentIsMarkedForDeletion")):
                changes.append(new_asset(spec, site, equip))
            continue
        asset = pairs[number][1]
        fields = {f.name: f for f in spec.fields}
        base = dict(baselines.get(number) or {})
        agreed = {f.name: erp_value(spec, f, equip) for f in spec.fields}  # where both sides agree already
        eam_fields, erp_fields, conflicts = {}, {}, []
        for d in differences.get(number, []):
            f = fields[d.field]
            value = d.erp_value if f.owner == "erp" else d.eam_value
            if d.write_to == "eam":
                eam_fields[f.eam] = to_eam(spec, f, value)
            elif d.write_to == "erp":
                erp_fields[f.erp] = to_erp(f, value)
            else:
                conflicts.append(d)
            agreed[d.field] = value if d.write_to else base.get(d.field)
        if not (eam_fields or erp_fields or conflicts) and agreed == base:
            continue
        op = "update" if eam_fields or erp_fields else ("conflict" if conflicts else "baseline")
        moved = agreed if agreed != base else {}  # an unchanged baseline is not written again
        changes.append(AssetChange(op, number, str(asset["assetnum"]), eam_fields, erp_fields, tuple(conflicts), moved))
    return changes
