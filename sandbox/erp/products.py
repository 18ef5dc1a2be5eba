"""API_PRODUCT_SRV: A_Product with its descriptions (A_ProductDescription) and plant data (A_ProductPlant)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    FIELD_INVALID,
    METHOD_NOT_ALLOWED,
    PRODUCT_EXISTS,
    UNKNOWN_PLANT,
    UNKNOWN_UNIT,
    ODataError,
    bad_request,
    not_found,
)
from sandbox.erp.handlers import service_routes
from sandbox.erp.http import Call, Reply, ServiceRoute, method_not_allowed
from sandbox.erp.query import (
    KeyOrderedTable,
    format_with_expand,
    parse_options,
    prefilter_values,
    read_collection,
)
from sandbox.erp.registry import register_service

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

SERVICE_PATH = "/sap/opu/odata/sap/API_PRODUCT_SRV"
NS = "API_PRODUCT_SRV"
PRODUCT_TYPES = {"FERT", "HALB", "ROH", "HAWA", "HIBE", "VERP", "NLAG", "DIEN", "UNBW", "ERSA"}
PROCUREMENT_TYPES = {"", "E", "F", "X"}

PRODUCT = EntityType(
    NS,
    "A_ProductType",
    "A_Product",
    ("Product",),
    (
        Prop("Product", max_len=40),
        Prop("ProductType", max_len=4),
        Prop("CrossPlantStatus", max_len=2),
        Prop("CreationDate", "Edm.DateTime", default=None, read_only=True),
        Prop("CreatedByUser", max_len=12, read_only=True),
        Prop("LastChangeDate", "Edm.DateTime", default=None, read_only=True),
        Prop("LastChangedByUser", max_len=12, read_only=True),
        Prop("LastChangeDateTime", "Edm.DateTimeOffset", default=None, read_only=True),
        Prop("IsMarkedForDeletion", "Edm.Boolean", default=False),
        Prop("ProductOldID", max_len=40),
        Prop("GrossWeight", "Edm.Decimal", scale=3, default="0.000"),
        Prop("NetWeight", "Edm.Decimal", scale=3, default="0.000"),
        Prop("WeightUnit", max_len=3),
        Prop("ProductGroup", max_len=9),
        Prop("BaseUnit", max_len=3),
        Prop("ItemCategoryGroup", max_len=4),
        Prop("Division", max_len=2),
        Prop("IndustrySector", max_len=1, default="M"),
        Prop("SizeOrDimensionText", max_len=32),
        Prop("ProductStandardID", max_len=18),
    ),
    navs=("to_Description", "to_Plant"),
)

DESCRIPTION = EntityType(
    NS,
    "A_ProductDescriptionType",
    "A_ProductDescription",
    ("Product", "Language"),
    (
        Prop("Product", max_len=40),
        Prop("Language", max_len=2),
        Prop("ProductDescription", max_len=40),
    ),
)

PLANT = EntityType(
    NS,
    "A_ProductPlantType",
    "A_ProductPlant",
    ("Product", "Plant"),
    (
        Prop("Product", max_len=40),
        Prop("Plant", max_len=4),
        Prop("PurchasingGroup", max_len=3),
        Prop("CountryOfOrigin", max_len=3),
        Prop("ProfileCode", max_len=2),
        Prop("ProcurementType", max_len=1),
        Prop("SpecialProcurementType", max_len=2),
        Prop("MRPType", max_len=2),
        Prop("MRPResponsible", max_len=3),
        Prop("AvailabilityCheckType", max_len=2),
        Prop("GoodsReceiptDuration", "Edm.Decimal", scale=0, default="0"),
        Prop("PlannedDeliveryDurationInDays", "Edm.Decimal", scale=0, default="0"),
        Prop("IsBatchManagementRequired", "Edm.Boolean", default=False),
        Prop("IsMarkedForDeletion", "Edm.Boolean", default=False),
    ),
)


# --- domain operations (used by the handlers and by seeding) -------------------------------------------


def touch(system: ERPSystem, doc: dict[str, Any], user: str) -> None:
    us = system.now()
    doc.update(LastChangeDateTime=us, LastChangeDate=midnight_ms(us), LastChangedByUser=user[:12], __ts=us)


def create_product(system: ERPSystem, payload: dict[str, Any], user: str) -> tuple[dict[str, Any], int]:
    """Validate and store a product with its deep-inserted descriptions and plants; returns (doc, writes)."""
    product = payload.get("Product")
    if not isinstance(product, str) or not product.strip():
        raise bad_request("Property 'Product' is required to create A_Product", target="Product", code=FIELD_INVALID)
    payload = {**payload, "Product": product.strip().upper()}  # SAP's conversion exit upper-cases numbers
    doc = apply_payload(PRODUCT, PRODUCT.defaults(), payload, creating=True)
    key = doc["Product"]
    if system.store.get(PRODUCT.set_name, key) is not None:
        raise ODataError(400, PRODUCT_EXISTS, f"Product {key} already exists", target="Product")
    if doc["ProductType"] not in PRODUCT_TYPES:
        raise bad_request(
            f"Product type '{doc['ProductType']}' of product {key} is not defined",
            target="ProductType",
            code=FIELD_INVALID,
        )
    _check_unit(system, doc["BaseUnit"], key, "BaseUnit")
    if doc["WeightUnit"]:
        _check_unit(system, doc["WeightUnit"], key, "WeightUnit")
    us = system.now()
    doc.update(CreationDate=midnight_ms(us), CreatedByUser=user[:12])
    touch(system, doc, user)
    system.store.put(PRODUCT.set_name, key, doc)
    writes = 1
    for child in nav_list(payload, "to_Description"):
        create_description(system, key, child)
        writes += 1
    for child in nav_list(payload, "to_Plant"):
        create_plant(system, key, child)
        writes += 1
    return doc, writes


def _check_unit(system: ERPSystem, unit: str, product: str, field: str) -> None:
    if not unit:
        raise bad_request(f"Property '{field}' is required for product {product}", target=field, code=FIELD_INVALID)
    if not system.unit_known(unit):
        raise ODataError(
            400, UNKNOWN_UNIT, f"Unit of measure {unit} is not defined (product {product}, {field})", target=field
        )


def create_description(system: ERPSystem, product: str, payload: dict[str, Any]) -> dict[str, Any]:
    doc = apply_payload(
        DESCRIPTION,
        {**DESCRIPTION.defaults(), "Product": product, "Language": "EN"},
        {**payload, "Product": product},
        creating=True,
    )
    if not doc["Language"]:
        raise bad_request(f"Language is required for a description of product {product}", target="Language")
    key = DESCRIPTION.key_of(doc)
    if system.store.get(DESCRIPTION.set_name, key) is not None:
        raise ODataError(400, PRODUCT_EXISTS, f"Product {product} already has a description in {doc['Language']}")
    system.store.put(DESCRIPTION.set_name, key, doc, parent=product)
    return doc


def create_plant(system: ERPSystem, product: str, payload: dict[str, Any]) -> dict[str, Any]:
    doc = apply_payload(PLANT, {**PLANT.defaults(), "Product": product}, {**payload, "Product": product}, creating=True)
    if not system.plant_known(doc["Plant"]):
        raise ODataError(
            400, UNKNOWN_PLANT, f"Plant '{doc['Plant']}' does not exist (product {product})", target="Plant"
        )
    if doc["ProcurementType"] not in PROCUREMENT_TYPES:
        raise bad_request(
            f"Procurement type '{doc['ProcurementType']}' is not allowed (product {product})",
            target="ProcurementType",
            code=FIELD_INVALID,
        )
    key = PLANT.key_of(doc)
    if system.store.get(PLANT.set_name, key) is not None:
        raise ODataError(400, PRODUCT_EXISTS, f"Product {product} already exists in plant {doc['Plant']}")
    system.store.put(PLANT.set_name, key, doc, parent=product)
    return doc


def _expander(system: ERPSystem, root: str):
    def expand(doc: dict[str, Any], nav: str) -> list[dict[str, Any]]:
        child = DESCRIPTION if nav == "to_Description" else PLANT
        return [format_entity(child, c, root) for c in system.store.children(child.set_name, doc["Product"])]

    return expand


# --- handlers ---------------------------------------------------------------------------------------------


def products(system: ERPSystem, call: Call) -> Reply:
    if call.method == "GET":
        wanted = prefilter_values(call.query, PRODUCT, "Product")
        if wanted is None:
            docs = KeyOrderedTable(system.store, PRODUCT.set_name)
        else:  # `Product eq '...'` (or several, or-ed): read those by key instead of the whole table
            docs = [d for d in (system.store.get(PRODUCT.set_name, k) for k in sorted(wanted)) if d is not None]
        d = read_collection(
            docs,
            PRODUCT,
            call.query,
            page_size=system.page_size,
            service_root=call.service_root,
            request_path=call.path,
            expander=_expander(system, call.service_root),
        )
        return Reply(200, {"d": d})
    if call.method == "POST":
        doc, writes = create_product(system, call.json(), call.user)
        return entity_reply(
            PRODUCT, doc, call, status=201, writes=writes, body=_with_children(system, doc, call.service_root)
        )
    raise method_not_allowed(call)


def _with_children(system: ERPSystem, doc: dict[str, Any], root: str) -> dict[str, Any]:
    out = format_entity(PRODUCT, doc, root)
    expand = _expander(system, root)
    for nav in PRODUCT.navs:
        out[nav] = {"results": expand(doc, nav)}
    return out


def product(system: ERPSystem, call: Call) -> Reply:
    doc = load_entity(system, PRODUCT, call)
    if call.method == "GET":
        opts = parse_options({k: v for k, v in call.query.items() if k in ("$select", "$expand")}, PRODUCT)
        body = format_with_expand(doc, PRODUCT, call.service_root, opts, _expander(system, call.service_root))
        return entity_reply(PRODUCT, doc, call, body=body)
    if call.method in UPDATE_METHODS:
        check_if_match(call, doc, PRODUCT)
        payload = call.json()
        if any(nav in payload for nav in PRODUCT.navs):
            raise bad_request("Deep update is not supported; change descriptions and plants on their own entities")
        new = apply_payload(PRODUCT, doc, payload, creating=False, replace=call.method == "PUT")
        if new["ProductType"] not in PRODUCT_TYPES:
            raise bad_request(
                f"Product type '{new['ProductType']}' is not defined", target="ProductType", code=FIELD_INVALID
            )
        _check_unit(system, new["BaseUnit"], new["Product"], "BaseUnit")
        touch(system, new, call.user)
        system.store.put(PRODUCT.set_name, new["Product"], new)
        return updated_reply(PRODUCT, new, 1)
    if call.method == "DELETE":
        raise ODataError(
            405,
            METHOD_NOT_ALLOWED,
            f"Product {doc['Product']} cannot be deleted; set IsMarkedForDeletion to true instead",
        )
    raise method_not_allowed(call)


def product_children(system: ERPSystem, call: Call) -> Reply:
    """GET or POST on A_Product('X')/to_Description and /to_Plant."""
    parent = load_entity(system, PRODUCT, call)
    etype = DESCRIPTION if call.path.endswith("/to_Description") else PLANT
    if call.method == "GET":
        docs = system.store.children(etype.set_name, parent["Product"])
        d = read_collection(
            docs, etype, call.query, page_size=system.page_size, service_root=call.service_root, request_path=call.path
        )
        return Reply(200, {"d": d})
    if call.method == "POST":
        return _create_child(system, call, etype, parent)
    raise method_not_allowed(call)


def _create_child(system: ERPSystem, call: Call, etype: EntityType, parent: dict[str, Any]) -> Reply:
    create = create_description if etype is DESCRIPTION else create_plant
    doc = create(system, parent["Product"], call.json())
    touch(system, parent, call.user)  # a new description or plant is a change of the product
    system.store.put(PRODUCT.set_name, parent["Product"], parent)
    return entity_reply(etype, doc, call, status=201, writes=1)


def child_collection(etype: EntityType):
    def handler(system: ERPSystem, call: Call) -> Reply:
        if call.method == "GET":
            d = read_collection(
                system.store.all(etype.set_name),
                etype,
                call.query,
                page_size=system.page_size,
                service_root=call.service_root,
                request_path=call.path,
            )
            return Reply(200, {"d": d})
        if call.method == "POST":
            payload = call.json()
            parent = system.store.get(PRODUCT.set_name, str(payload.get("Product", "")).upper())
            if parent is None:
                raise not_found(PRODUCT.set_name, f"'{payload.get('Product', '')}'")
            return _create_child(system, call, etype, parent)
        raise method_not_allowed(call)

    return handler


def child_entity(etype: EntityType):
    def handler(system: ERPSystem, call: Call) -> Reply:
        doc = load_entity(system, etype, call)
        parent = system.store.get(PRODUCT.set_name, doc["Product"]) or {}
        if call.method == "GET":
            return entity_reply(etype, doc, call)
        if call.method in UPDATE_METHODS:
            if call.headers.get("if-match"):  # a lock given on a child is the product's etag, read with it
                check_if_match(call, parent, PRODUCT)
            new = apply_payload(etype, doc, call.json(), creating=False, replace=call.method == "PUT")
            if etype is PLANT and new["ProcurementType"] not in PROCUREMENT_TYPES:
                raise bad_request(
                    f"Procurement type '{new['ProcurementType']}' is not allowed",
                    target="ProcurementType",
                    code=FIELD_INVALID,
                )
            system.store.put(etype.set_name, etype.key_of(new), new, parent=doc["Product"])
        elif call.method == "DELETE" and etype is DESCRIPTION:
            system.store.delete(etype.set_name, etype.key_of(doc))
        elif call.method == "DELETE":
            raise ODataError(405, METHOD_NOT_ALLOWED, "Plant data cannot be deleted; set IsMarkedForDeletion")
        else:
            raise method_not_allowed(call)
        touch(system, parent, call.user)
        system.store.put(PRODUCT.set_name, parent["Product"], parent)
        return Reply(204, None, {}, 1)

    return handler


ROUTES = [
    *service_routes(NS, [PRODUCT, DESCRIPTION, PLANT]),
    ServiceRoute("/A_Product", ("GET", "POST"), products),
    ServiceRoute("/A_Product({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), product),
    ServiceRoute("/A_Product({key})/to_Description", ("GET", "POST"), product_children),
    ServiceRoute("/A_Product({key})/to_Plant", ("GET", "POST"), product_children),
    ServiceRoute("/A_ProductDescription", ("GET", "POST"), child_collection(DESCRIPTION)),
    ServiceRoute("/A_ProductDescription({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), child_entity(DESCRIPTION)),
    ServiceRoute("/A_ProductPlant", ("GET", "POST"), child_collection(PLANT)),
    ServiceRoute("/A_ProductPlant({key})", ("GET", "PUT", "PATCH", "MERGE", "DELETE"), child_entity(PLANT)),
]

register_service(
    SERVICE_PATH,
    ROUTES,
    {"products": PRODUCT.set_name, "product_descriptions": DESCRIPTION.set_name, "product_plants": PLANT.set_name},
)
