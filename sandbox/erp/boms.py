"""API_BILL_OF_MATERIAL_SRV;v=0002: MaterialBOM headers, MaterialBOMItem items, and ReleaseVersionBOM.

A BOM without BillOfMaterialVersion is a classical BOM, effective on creation. A BOM with a version is
created "In Process" (BOMVersionStatus '10'), filled, then released ('20') by ReleaseVersionBOM; releasing
supersedes ('30') the previously released version of the same material/plant/usage/alternative.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sandbox.erp import bom_rules
from sandbox.erp.edm import EntityType, Prop, format_entity, midnight_ms
from sandbox.erp.entities import (
    UPDATE_METHODS,
    apply_payload,
    check_if_match,
    entity_reply,
    load_entity,
    nav_list,
    updated_reply,
)
from sandbox.erp.errors import (
    BOM_EXISTS,
    DUPLICATE_ITEM,
    VERSION_NOT_RELEASABLE,
    ODataError,
    bad_request,
    not_found,
)
from sandbox.erp.filter import literal_value, tokenize
from sandbox.erp.handlers import service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.query import format_with_expand, parse_options, prefilter_values, read_collection
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.store import ERPStore
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_BILL_OF_MATERIAL_SRV;v=0002"
NS = "API_BILL_OF_MATERIAL_SRV"
IN_PROCESS = "10"
RELEASED, SUPERSEDED = bom_rules.RELEASED, bom_rules.SUPERSEDED
FAR_FUTURE_MS = 253402214400000  # 9999-12-31, SAP's open end date

BOM = EntityType(
    NS,
    "MaterialBOMType",
    "MaterialBOM",
    (
        "BillOfMaterial",
        "BillOfMaterialCategory",
        "BillOfMaterialVariant",
        "BillOfMaterialVersion",
        "EngineeringChangeDocument",
        "Material",
        "Plant",
    ),
    (
        Prop("BillOfMaterial", max_len=8, read_only=True),
        Prop("BillOfMaterialCategory", max_len=1, default="M"),
        Prop("BillOfMaterialVariant", max_len=2, default="1"),
        Prop("BillOfMaterialVersion", max_len=4),
        Prop("EngineeringChangeDocument", max_len=12),
        Prop("Material", max_len=40),
        Prop("Plant", max_len=4),
        Prop("BillOfMaterialHeaderUUID", "Edm.Guid", read_only=True),
        Prop("BillOfMaterialVariantUsage", max_len=1, default="1"),
        Prop("BOMHeaderBaseUnit", max_len=3),
        Prop("BOMHeaderQuantityInBaseUnit", "Edm.Decimal", scale=3, default="1.000"),
        Prop("HeaderValidityStartDate", "Edm.DateTime", default=None),
        Prop("HeaderValidityEndDate", "Edm.DateTime", default=FAR_FUTURE_MS),
        Prop("BillOfMaterialStatus", max_len=2, default="01"),
        Prop("IsVersionBillOfMaterial", "Edm.Boolean", default=False, read_only=True),
        Prop("BOMVersionStatus", max_len=2, read_only=True),
        Prop("IsLatestBOMVersion", "Edm.Boolean", default=False, read_only=True),
        Prop("BOMHeaderText", max_len=40),
        Prop("BOMAlternativeText", max_len=40),
        Prop("IsMarkedForDeletion", "Edm.Boolean", default=False),
        Prop("RecordCreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("CreatedByUser", max_len=12, read_only=True),
        Prop("LastChangeDate", "Edm.DateTime", default=None, read_only=True),
        Prop("LastChangedByUser", max_len=12, read_only=True),
        Prop("LastChangeDateTime", "Edm.DateTimeOffset", default=None, read_only=True),
    ),
    navs=("to_BillOfMaterialItem",),
)

ITEM = EntityType(
    NS,
    "MaterialBOMItemType",
    "MaterialBOMItem",
    (
        "BillOfMaterial",
        "BillOfMaterialCategory",
        "BillOfMaterialVariant",
        "BillOfMaterialVersion",
        "BillOfMaterialItemNodeNumber",
        "HeaderChangeDocument",
        "Material",
        "Plant",
    ),
    (
        Prop("BillOfMaterial", max_len=8),
        Prop("BillOfMaterialCategory", max_len=1, default="M"),
        Prop("BillOfMaterialVariant", max_len=2, default="1"),
        Prop("BillOfMaterialVersion", max_len=4),
        Prop("BillOfMaterialItemNodeNumber", max_len=8, read_only=True),
        Prop("HeaderChangeDocument", max_len=12),
        Prop("Material", max_len=40),
        Prop("Plant", max_len=4),
        Prop("ValidityStartDate", "Edm.DateTime", default=None),
        Prop("ValidityEndDate", "Edm.DateTime", default=FAR_FUTURE_MS),
        Prop("EngineeringChangeDocument", max_len=12),
        Prop("BillOfMaterialComponent", max_len=40),
        Prop("ComponentDescription", max_len=40, read_only=True),
        Prop("BillOfMaterialItemCategory", max_len=1, default="L"),
        Prop("BillOfMaterialItemNumber", max_len=4),
        Prop("BillOfMaterialItemUnit", max_len=3),
        Prop("BillOfMaterialItemQuantity", "Edm.Decimal", scale=3, default="0.000"),
        Prop("ComponentScrapInPercent", "Edm.Decimal", scale=2, default="0.00"),
        Prop("BOMItemDescription", max_len=40),
        Prop("BOMItemText2", max_len=40),
        Prop("BOMItemSorter", max_len=10),
        Prop("IsProductionRelevant", "Edm.Boolean", default=True),
        Prop("BOMItemIsSparePart", max_len=1),
        Prop("BOMItemRecordCreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("BOMItemCreatedByUser", max_len=12, read_only=True),
        Prop("BOMItemLastChangeDate", "Edm.DateTime", default=None, read_only=True),
        Prop("BOMItemLastChangedByUser", max_len=12, read_only=True),
    ),
)
HEADER_KEYS_ON_ITEM = (
    "BillOfMaterial",
    "BillOfMaterialCategory",
    "BillOfMaterialVariant",
    "BillOfMaterialVersion",
    "Material",
    "Plant",
)


# --- domain operations --------------------------------------------------------------------------------------


def _bom_number(system: ERPSystem, doc: dict[str, Any]) -> str:
    """One BOM number per material/plant/usage (SAP's material-to-BOM link), shared by alternatives and versions."""
    for other in system.store.children(BOM.set_name, doc["Material"]):
        if (other["Material"], other["Plant"], other["BillOfMaterialVariantUsage"]) == (
            doc["Material"],
            doc["Plant"],
            doc["BillOfMaterialVariantUsage"],
        ):
            return other["BillOfMaterial"]
    return f"{system.store.next_number('bom'):08d}"


def _same_slot(a: dict[str, Any], b: dict[str, Any]) -> bool:
    fields = ("Material", "Plant", "BillOfMaterialVariantUsage", "BillOfMaterialVariant")
    return all(a[f] == b[f] for f in fields)


def create_bom(system: ERPSystem, payload: dict[str, Any], user: str) -> tuple[dict[str, Any], int]:
    doc = apply_payload(BOM, BOM.defaults(), payload, creating=True)
    bom_rules.validate_header(system, doc)
    for other in system.store.children(BOM.set_name, doc["Material"]):
        if _same_slot(other, doc) and other["BillOfMaterialVersion"] == doc["BillOfMaterialVersion"]:
            what = f"version {doc['BillOfMaterialVersion']}" if doc["BillOfMaterialVersion"] else "a BOM"
            raise ODataError(
                400,
                BOM_EXISTS,
                f"Material {doc['Material']} already has {what} in plant "
                f"{doc['Plant']} (usage {doc['BillOfMaterialVariantUsage']}, alternative "
                f"{doc['BillOfMaterialVariant']})",
            )
    versioned = bool(doc["BillOfMaterialVersion"])
    us = system.now()
    doc.update(
        BillOfMaterial=_bom_number(system, doc),
        BillOfMaterialHeaderUUID=str(uuid.uuid4()),
        IsVersionBillOfMaterial=versioned,
        BOMVersionStatus=IN_PROCESS if versioned else "",
        IsLatestBOMVersion=versioned,
        RecordCreationDate=midnight_ms(us),
        CreatedByUser=user[:12],
        HeaderValidityStartDate=doc["HeaderValidityStartDate"] or midnight_ms(us),
    )
    _touch(system, doc, user)
    if versioned:
        for other in system.store.children(BOM.set_name, doc["Material"]):
            if _same_slot(other, doc) and other.get("IsLatestBOMVersion"):
                other["IsLatestBOMVersion"] = False
                _save_header(system, other)
    _save_header(system, doc)
    writes, existing = 1, []
    for payload_item in nav_list(payload, "to_BillOfMaterialItem"):
        existing.append(add_item(system, doc, payload_item, user, existing=existing, save_header=False))
        writes += 1
    if existing:
        _touch(system, doc, user)
        _save_header(system, doc)
    return doc, writes


def _save_header(system: ERPSystem, header: dict[str, Any]) -> None:
    """Headers are filed under their material (the `parent` index) so a material's BOMs are one lookup."""
    system.store.put(BOM.set_name, BOM.key_of(header), header, parent=header["Material"])


def _touch(system: ERPSystem, doc: dict[str, Any], user: str) -> None:
    us = system.now()
    doc.update(LastChangeDateTime=us, LastChangeDate=midnight_ms(us), LastChangedByUser=user[:12], __ts=us)


def add_item(
    system: ERPSystem,
    header: dict[str, Any],
    payload: dict[str, Any],
    user: str,
    *,
    existing: list[dict[str, Any]] | None = None,
    save_header: bool = True,
) -> dict[str, Any]:
    """Validate and store one item; a deep insert passes the items so far and saves the header once."""
    bom_rules.editable(header, payload.get("EngineeringChangeDocument"))
    hkey = BOM.key_of(header)
    existing = system.store.children(ITEM.set_name, hkey) if existing is None else existing
    base = {
        **ITEM.defaults(),
        **{k: header[k] for k in HEADER_KEYS_ON_ITEM},
        "HeaderChangeDocument": header["EngineeringChangeDocument"],
    }
    item = apply_payload(ITEM, base, {k: v for k, v in payload.items() if k not in HEADER_KEYS_ON_ITEM}, creating=True)
    if not item["BillOfMaterialItemNumber"]:  # SAP proposes the next multiple of 10
        top = max((int(i["BillOfMaterialItemNumber"]) for i in existing), default=0)
        item["BillOfMaterialItemNumber"] = f"{(top // 10 + 1) * 10:04d}"
    bom_rules.validate_item(system, header, item)
    if any(i["BillOfMaterialItemNumber"] == item["BillOfMaterialItemNumber"] for i in existing):
        raise ODataError(
            400,
            DUPLICATE_ITEM,
            f"Item number {item['BillOfMaterialItemNumber']} already exists in "
            f"the BOM of material {header['Material']}",
            target="BillOfMaterialItemNumber",
        )
    us = system.now()
    item.update(
        BillOfMaterialItemNodeNumber=str(system.store.next_number(f"node:{hkey}")),
        BOMItemRecordCreationDate=midnight_ms(us),
        BOMItemCreatedByUser=user[:12],
        BOMItemLastChangeDate=midnight_ms(us),
        BOMItemLastChangedByUser=user[:12],
        ValidityStartDate=item["ValidityStartDate"] or header["HeaderValidityStartDate"],
    )
    system.store.put(ITEM.set_name, ITEM.key_of(item), item, parent=hkey)
    if save_header:
        _touch(system, header, user)
        _save_header(system, header)
    return item


def release_version(system: ERPSystem, header: dict[str, Any], user: str) -> dict[str, Any]:
    where = f"version {header['BillOfMaterialVersion']} of the BOM of material {header['Material']}"
    if not header["IsVersionBillOfMaterial"]:
        raise ODataError(400, VERSION_NOT_RELEASABLE, f"The BOM of material {header['Material']} has no versions")
    if header["BOMVersionStatus"] != IN_PROCESS:
        raise ODataError(400, VERSION_NOT_RELEASABLE, f"{where} is not in process and cannot be released")
    if not system.store.children(ITEM.set_name, BOM.key_of(header)):
        raise ODataError(400, VERSION_NOT_RELEASABLE, f"{where} has no items and cannot be released")
    for other in system.store.children(BOM.set_name, header["Material"]):
        if _same_slot(other, header) and other["BOMVersionStatus"] == RELEASED:
            other["BOMVersionStatus"] = SUPERSEDED
            _touch(system, other, user)
            _save_header(system, other)
    header["BOMVersionStatus"] = RELEASED
    _touch(system, header, user)
    _save_header(system, header)
    return header


# --- handlers -----------------------------------------------------------------------------------------------


def _expander(system: ERPSystem, root: str):
    def expand(doc: dict[str, Any], nav: str) -> list[dict[str, Any]]:
        items = system.store.children(ITEM.set_name, BOM.key_of(doc))
        items.sort(key=lambda i: (i["BillOfMaterialItemNumber"], int(i["BillOfMaterialItemNodeNumber"])))
        return [format_entity(ITEM, i, root) for i in items]

    return expand


def boms(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        materials = prefilter_values(call.query, BOM, "Material")
        docs = (
            system.store.all(BOM.set_name)
            if materials is None
            else [d for m in sorted(materials) for d in system.store.children(BOM.set_name, m)]
        )
        d = read_collection(
            docs,
            BOM,
            call.query,
            page_size=system.page_size,
            service_root=call.service_root,
            request_path=call.path,
            expander=_expander(system, call.service_root),
        )
        return Reply(200, {"d": d})
    if call.method == "POST":
        doc, writes = create_bom(system, call.json(), call.user)
        body = format_entity(BOM, doc, call.service_root)
        body["to_BillOfMaterialItem"] = {"results": _expander(system, call.service_root)(doc, "")}
        return entity_reply(BOM, doc, call, status=201, writes=writes, body=body)
    raise method_not_allowed(call)


def bom(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, BOM, call)
    if call.method == "GET":
        opts = parse_options({k: v for k, v in call.query.items() if k in ("$select", "$expand")}, BOM)
        body = format_with_expand(doc, BOM, call.service_root, opts, _expander(system, call.service_root))
        return entity_reply(BOM, doc, call, body=body)
    if call.method in UPDATE_METHODS:
        check_if_match(call, doc, BOM)
        bom_rules.editable(doc, _change_number_option(call))  # e.g. the deletion flag under a change number
        payload = call.json()
        if "to_BillOfMaterialItem" in payload:
            raise bad_request("Deep update is not supported; change items on MaterialBOMItem")
        new = apply_payload(BOM, doc, payload, creating=False, replace=call.method == "PUT")
        bom_rules.validate_header(system, new)
        _touch(system, new, call.user)
        _save_header(system, new)
        return updated_reply(BOM, new, 1)
    if call.method == "DELETE":
        if doc["BOMVersionStatus"] == RELEASED:
            bom_rules.editable(doc)
        key = BOM.key_of(doc)
        system.store.delete_children(ITEM.set_name, key)
        system.store.delete(BOM.set_name, key)
        return Reply(204, None, {}, 1)
    raise method_not_allowed(call)


def bom_items(system: ERPSystem, call: Call) -> Reply:
    """GET/POST MaterialBOM(...)/to_BillOfMaterialItem and MaterialBOMItem."""
    if "key" in call.path_params:
        header = load_entity(system, BOM, call)
        docs = system.store.children(ITEM.set_name, BOM.key_of(header))
    else:
        header, docs = None, None
    if call.method == "GET":
        docs = docs if docs is not None else system.store.all(ITEM.set_name)
        d = read_collection(
            docs, ITEM, call.query, page_size=system.page_size, service_root=call.service_root, request_path=call.path
        )
        return Reply(200, {"d": d})
    if call.method == "POST":
        payload = call.json()
        if header is None:
            header = _header_of_item_payload(system, payload)
        item = add_item(system, header, payload, call.user)
        return entity_reply(ITEM, item, call, status=201, writes=1)
    raise method_not_allowed(call)


def _change_number(call: Call) -> str | None:
    """The change number of an item write: in the body, or for a DELETE the query option
    `EngineeringChangeDocument='...'` (a DELETE has no body)."""
    if call.method == "DELETE":
        return _change_number_option(call)
    return call.json().get("EngineeringChangeDocument") or None


def _change_number_option(call: Call) -> str | None:
    """The query option `EngineeringChangeDocument='...'` (on a header, the body's field is part of its key)."""
    return call.query.get("EngineeringChangeDocument", "").strip("'") or None


def _header_of_item_payload(system: ERPSystem, payload: dict[str, Any]) -> dict[str, Any]:
    keys = {k: str(payload.get(k, BOM.prop(k).default)) for k in HEADER_KEYS_ON_ITEM}
    keys["EngineeringChangeDocument"] = str(payload.get("HeaderChangeDocument", ""))
    header = system.store.get(BOM.set_name, BOM.key_of(keys))
    if header is None:
        raise not_found(BOM.set_name, BOM.key_predicate(keys)[1:-1])
    return header


def bom_item(system: ERPSystem, call: Call) -> Reply:
    item = load_entity(system, ITEM, call)
    header = _header_of_item_payload(system, item)
    if call.method == "GET":
        return entity_reply(ITEM, item, call)
    bom_rules.editable(header, _change_number(call))
    if call.method in UPDATE_METHODS:
        new = apply_payload(ITEM, item, call.json(), creating=False, replace=call.method == "PUT")
        bom_rules.validate_item(system, header, new)
        siblings = system.store.children(ITEM.set_name, BOM.key_of(header))
        if any(
            s["BillOfMaterialItemNumber"] == new["BillOfMaterialItemNumber"]
            and s["BillOfMaterialItemNodeNumber"] != new["BillOfMaterialItemNodeNumber"]
            for s in siblings
        ):
            raise ODataError(
                400,
                DUPLICATE_ITEM,
                f"Item number {new['BillOfMaterialItemNumber']} already exists "
                f"in the BOM of material {header['Material']}",
                target="BillOfMaterialItemNumber",
            )
        new.update(BOMItemLastChangeDate=midnight_ms(system.now()), BOMItemLastChangedByUser=call.user[:12])
        system.store.put(ITEM.set_name, ITEM.key_of(new), new, parent=BOM.key_of(header))
    elif call.method == "DELETE":
        system.store.delete(ITEM.set_name, ITEM.key_of(item))
    else:
        raise method_not_allowed(call)
    _touch(system, header, call.user)
    _save_header(system, header)
    return Reply(204, None, {}, 1)


def release_version_bom(system: ERPSystem, call: Call) -> Reply:
    """POST /ReleaseVersionBOM?Material='X'&Plant='1000'&BillOfMaterialVersion='2'[&...]: the function import."""
    if call.method != "POST":
        raise method_not_allowed(call)
    params: dict[str, str] = {}
    for name, text in call.query.items():
        if name in ("sap-client", "sap-language"):
            continue
        tokens = tokenize(text)
        if len(tokens) != 1 or tokens[0][0] != "str":
            raise bad_request(f"Parameter {name} of ReleaseVersionBOM must be a quoted string literal", target=name)
        params[name] = literal_value("str", text)
    missing = [p for p in ("Material", "Plant", "BillOfMaterialVersion") if not params.get(p)]
    if missing:
        raise bad_request(f"ReleaseVersionBOM needs parameter(s) {', '.join(missing)}", target=missing[0])
    keys = {"BillOfMaterialCategory": "M", "BillOfMaterialVariant": "1", "EngineeringChangeDocument": "", **params}
    match = [
        b
        for b in system.store.children(BOM.set_name, params["Material"])
        if all(b[k] == v for k, v in keys.items() if k in BOM.keys)
    ]
    if len(match) != 1:
        raise not_found(BOM.set_name, ",".join(f"{k}='{v}'" for k, v in keys.items()))
    header = release_version(system, match[0], call.user)
    return entity_reply(BOM, header, call, writes=1)


def _released_boms(store: ERPStore) -> int:
    return sum(1 for b in store.all(BOM.set_name) if b.get("BOMVersionStatus") in ("", RELEASED))


ROUTES = [
    *service_routes(NS, [BOM, ITEM]),
    ServiceRoute("/MaterialBOM", ("GET", "POST"), boms),
    ServiceRoute("/MaterialBOM({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), bom),
    ServiceRoute("/MaterialBOM({key})/to_BillOfMaterialItem", ("GET", "POST"), bom_items),
    ServiceRoute("/MaterialBOMItem", ("GET", "POST"), bom_items),
    ServiceRoute("/MaterialBOMItem({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), bom_item),
    ServiceRoute("/ReleaseVersionBOM", ("POST",), release_version_bom),
]

register_service(
    SERVICE_PATH, ROUTES, {"boms": BOM.set_name, "released_boms": _released_boms, "bom_items": ITEM.set_name}
)
