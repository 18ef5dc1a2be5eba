"""API_BILL_OF_MATERIAL_SRV;v=0002: the MaterialBOM and MaterialBOMItem routes, and ReleaseVersionBOM.

The documents and what writing them does are in `bom_documents`; here each route reads the call and answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.erp import bom_rules
from sandbox.erp.bom_documents import (
    BOM,
    HEADER_KEYS_ON_ITEM,
    ITEM,
    NS,
    RELEASED,
    add_item,
    create_bom,
    release_version,
    store_header,
    touch,
)
from sandbox.erp.edm import format_entity, midnight_ms
from sandbox.erp.entities import UPDATE_METHODS, apply_payload, check_if_match, entity_reply, load_entity, updated_reply
from sandbox.erp.errors import DUPLICATE_ITEM, ODataError, bad_request, not_found
from sandbox.erp.filter import literal_value, tokenize
from sandbox.erp.handlers import service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.query import format_with_expand, parse_options, prefilter_values, read_collection
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.store import ERPStore
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_BILL_OF_MATERIAL_SRV;v=0002"


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
        touch(system, new, call.user)
        store_header(system, new)
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
    touch(system, header, call.user)
    store_header(system, header)
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
