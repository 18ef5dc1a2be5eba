"""The ERP's own keys of what a change set wrote (or what a released BOM already holds), for the ID map.

material   its product number (SAP keys a material by it)
bom_header the BOM number (`BillOfMaterial`), shared by a BOM's versions
bom_item   "<BOM number>/<version>/<item node number>": a node number is unique only within one BOM version
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from resources.erp.sap.batch import ChangesetResult
from resources.erp.sap.boms import ERPBom
from sync.keys import bom_item_key, split_key
from sync.plan import PlanItem

TargetKeys = dict[tuple[str, str], str]  # (entity, key) -> the ERP's own key


def item_target_key(bom_id: Any, version: Any, node: Any) -> str | None:
    if not bom_id or not node:
        return None
    return f"{bom_id}/{version or ''}/{node}"


def _from_bom(header_key: str, bom_id: Any, version: Any, items: Iterable[Mapping[str, Any]]) -> TargetKeys:
    found: TargetKeys = {}
    if bom_id:
        found[("bom_header", header_key)] = str(bom_id)
    for item in items:
        number = item.get("BillOfMaterialItemNumber")
        target = item_target_key(bom_id, version, item.get("_node"))
        if number and target:
            found[("bom_item", bom_item_key(*split_key(header_key), str(number).zfill(4)))] = target
    return found


def held_by(header_key: str, bom: ERPBom) -> TargetKeys:
    """The keys of a BOM version read from the ERP (a level the ERP already agreed with)."""
    return _from_bom(header_key, bom.bom_id, bom.version, bom.items)


def written_by(items: Iterable[PlanItem], result: ChangesetResult) -> TargetKeys:
    """The keys the ERP answered a committed change set with: a created BOM's number and item nodes, a
    created item's node, a material's product number."""
    found: TargetKeys = {}
    items = list(items)
    for item in items:
        if item.entity == "material" and item.op != "delete":
            found[("material", item.key)] = item.key
    for outcome in result.operations:
        body = outcome.body or {}
        if "_bom_id" in body:  # a created BOM version: header and all its items
            header_key = next((i.key for i in items if i.entity == "bom_header"), None)
            if header_key is not None:
                found.update(_from_bom(header_key, body["_bom_id"], body.get("_version"), body.get("_items", [])))
        elif "_node" in body:  # one item created under a change number
            keys = body.get("_keys", {})
            target = item_target_key(keys.get("BillOfMaterial"), keys.get("BillOfMaterialVersion"), body["_node"])
            number = str(body.get("BillOfMaterialItemNumber") or "").zfill(4)
            match = next((i for i in items if i.entity == "bom_item" and split_key(i.key)[-1] == number), None)
            if match is not None and target:
                found[("bom_item", match.key)] = target
    return found
