"""PLM (mapped) vs ERP (read fresh), field by field: the differences a reconciliation reports.

Pure: no HTTP, no Dagster. Inputs are the mapped PLM payloads (entity -> key -> payload) and the ERP's
flat records; output is one `Difference` per missing or extra record and per differing field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from sync.keys import SEP, header_key_of_item, split_key
from sync.spec import MappingSpec

KINDS = ("missing_in_erp", "extra_in_erp", "quantity", "unit", "description", "item_number", "component", "other_field")
FIELD_KINDS = {
    "BillOfMaterialItemQuantity": "quantity",
    "BOMHeaderQuantityInBaseUnit": "quantity",
    "BillOfMaterialItemUnit": "unit",
    "BOMHeaderBaseUnit": "unit",
    "BaseUnit": "unit",
    "ProductDescription": "description",
    "BOMItemDescription": "description",
    "BOMItemText2": "description",
    "BillOfMaterialComponent": "component",
    # Tryton's own names (mappings/plm_to_tryton.yaml)
    "quantity": "quantity",
    "output_quantity": "quantity",
    "unit": "unit",
    "output_unit": "unit",
    "default_uom": "unit",
    "name": "description",
}
COLUMNS = ["kind", "entity", "assembly", "key", "field", "plm_value", "erp_value"]
DESCRIBED_COLUMNS = [*COLUMNS[:4], "component", "description", *COLUMNS[4:]]
Records = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Difference:
    kind: str  # one of KINDS
    entity: str  # material, bom_header, bom_item
    assembly: str  # the top-level assemblies whose BOM holds the record, comma-separated
    key: str
    field: str  # "*" for a whole record
    plm_value: str
    erp_value: str


def value_text(value: Any) -> str:
    """Values as a person reads them: quantities without trailing zeros, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def _field_differences(
    spec: MappingSpec, entity: str, key: str, want: Mapping[str, Any], now: Mapping[str, Any], where: str
) -> list[Difference]:
    rules = spec.entities[entity]
    got = rules.normalise(now)
    out = []
    for name in rules.outbound_fields():
        if name in rules.key or rules.conflict_rule(name) == "target_wins":  # keys match; ERP-owned fields stand
            continue
        if name in want and got.get(name) != want[name]:
            out.append(
                Difference(
                    FIELD_KINDS.get(name, "other_field"),
                    entity,
                    where,
                    key,
                    name,
                    value_text(want[name]),
                    value_text(got.get(name)),
                )
            )
    return out


def _renumbered(missing: list[str], extra: list[str], desired: Records, actual: Records) -> list[tuple[str, str]]:
    """(PLM key, ERP key) pairs of one BOM whose component sits under another item number in the ERP."""
    free = {key: actual[key].get("BillOfMaterialComponent") for key in extra}
    pairs = []
    for key in missing:
        component = desired[key].get("BillOfMaterialComponent")
        match = next((k for k, c in free.items() if c == component), None)
        if match is not None:
            pairs.append((key, match))
            del free[match]
    return pairs


def _item_differences(
    spec: MappingSpec, desired: Records, actual: Records, headers_in_erp: set[str], where: Mapping[str, str]
) -> list[Difference]:
    out: list[Difference] = []
    missing, extra = defaultdict(list), defaultdict(list)
    for key in sorted(desired):
        if key in actual:
            out += _field_differences(spec, "bom_item", key, desired[key], actual[key], where[key])
        else:
            missing[header_key_of_item(key)].append(key)
    wanted_headers = {header_key_of_item(k) for k in desired}
    for key in sorted(actual):
        if key not in desired and header_key_of_item(key) in wanted_headers:
            extra[header_key_of_item(key)].append(key)
    for header in sorted(set(missing) | set(extra)):
        pairs = _renumbered(missing[header], extra[header], desired, actual)
        for plm_key, erp_key in pairs:
            out.append(
                Difference(
                    "item_number",
                    "bom_item",
                    where[plm_key],
                    plm_key,
                    "BillOfMaterialItemNumber",
                    split_key(plm_key)[-1],
                    split_key(erp_key)[-1],
                )
            )
        paired_plm, paired_erp = {p for p, _ in pairs}, {e for _, e in pairs}
        out += [
            Difference(
                "missing_in_erp",
                "bom_item",
                where[k],
                k,
                "*",
                _item_text(desired[k]),
                "" if header in headers_in_erp else "(no released BOM)",
            )
            for k in missing[header]
            if k not in paired_plm
        ]
        owner = where.get(header, "")
        out += [
            Difference("extra_in_erp", "bom_item", owner, k, "*", "", _item_text(actual[k]))
            for k in extra[header]
            if k not in paired_erp
        ]
    return out


def _item_text(item: Mapping[str, Any]) -> str:
    return (
        f"{item.get('BillOfMaterialComponent')} x {value_text(item.get('BillOfMaterialItemQuantity'))} "
        f"{item.get('BillOfMaterialItemUnit') or ''}"
    ).strip()


def compare(
    spec: MappingSpec,
    desired: Mapping[str, Records],
    materials: Records,
    snapshot: Mapping[str, Records],
    where: Mapping[str, str],
) -> list[Difference]:
    """All differences; `desired` as `MappedBom.desired()`, `materials` by Product, `snapshot` as
    `read_bom_snapshot` returns it (a header in it that is not desired is an ERP BOM without a PLM one),
    `where` maps each key to its assemblies' label."""
    out: list[Difference] = []
    for key, want in sorted(desired.get("material", {}).items()):
        now = materials.get(key.upper())
        if now is None:
            out.append(Difference("missing_in_erp", "material", where[key], key, "*", want.get("Product", key), ""))
        else:
            out += _field_differences(spec, "material", key, want, now, where[key])
    headers = snapshot.get("bom_header", {})
    for key, want in sorted(desired.get("bom_header", {}).items()):
        if key not in headers:
            out.append(
                Difference(
                    "missing_in_erp", "bom_header", where[key], key, "*", key.replace(SEP, "/"), "(no released BOM)"
                )
            )
        else:
            out += _field_differences(spec, "bom_header", key, want, headers[key], where[key])
    for key in sorted(set(headers) - set(desired.get("bom_header", {}))):  # a managed part the PLM gives no BOM
        count = sum(1 for item in snapshot.get("bom_item", {}) if header_key_of_item(item) == key)
        out.append(
            Difference(
                "extra_in_erp",
                "bom_header",
                where.get(key, ""),
                key,
                "*",
                "(no BOM in the PLM)",
                f"released BOM with {count} item(s)",
            )
        )
    out += _item_differences(spec, desired.get("bom_item", {}), snapshot.get("bom_item", {}), set(headers), where)
    return out


def differences_frame(differences: list[Difference]) -> pd.DataFrame:
    """The reconciliation table (persisted as Parquet): one row per difference, all text."""
    return pd.DataFrame([asdict(d) for d in differences], columns=COLUMNS).astype(str)


def counts_by_kind(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame["kind"].value_counts().to_dict() if len(frame) else {}
    return {kind: int(counts.get(kind, 0)) for kind in KINDS}


def counts_by_assembly(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Assembly -> kind -> count; a record shared by several assemblies counts for each."""
    out: dict[str, dict[str, int]] = {}
    for assemblies, kind in zip(frame["assembly"], frame["kind"], strict=True):
        for assembly in str(assemblies).split(", "):
            row = out.setdefault(assembly, dict.fromkeys(KINDS, 0))
            row[kind] += 1
    return dict(sorted(out.items()))


def with_components(
    frame: pd.DataFrame,
    desired: Mapping[str, Records],
    snapshot: Mapping[str, Records],
    descriptions: Mapping[str, str],
) -> pd.DataFrame:
    """The table with the material each difference is about (a BOM item: its component) and its description,
    so a person sees "PRT-200345 Bearing housing" rather than only a key."""

    def component(entity: str, key: str) -> str:
        if entity == "material":
            return key
        if entity == "bom_header":
            return key.split("|")[0]
        record = desired.get(entity, {}).get(key) or snapshot.get(entity, {}).get(key) or {}
        return str(record.get("BillOfMaterialComponent") or "")

    out = frame.copy()
    out["component"] = [component(e, k) for e, k in zip(out["entity"], out["key"], strict=True)]
    out["description"] = [descriptions.get(c, descriptions.get(c.upper(), "")) for c in out["component"]]
    return out.reindex(columns=DESCRIBED_COLUMNS).astype(str)
