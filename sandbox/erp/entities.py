"""Shared entity plumbing: payload validation, etag preconditions and single-entity replies."""

from __future__ import annotations

from typing import Any

from sandbox.erp.edm import EntityType, etag_of, format_entity, from_wire
from sandbox.erp.errors import (
    INVALID_PROPERTY,
    PRECONDITION_FAILED,
    PRECONDITION_REQUIRED,
    ODataError,
    bad_request,
    not_found,
)
from sandbox.erp.filter import parse_key_predicate
from sandbox.erp.http import Call, Reply

UPDATE_METHODS = {"PUT", "PATCH", "MERGE"}


def apply_payload(
    etype: EntityType, doc: dict[str, Any], payload: dict[str, Any], *, creating: bool, replace: bool = False
) -> dict[str, Any]:
    """Validated copy of `doc` with the client's properties applied.

    Unknown properties are an error (as in SAP Gateway); read-only ones are ignored; keys may be repeated
    on update but not changed. `replace` (PUT) resets every updatable property not sent to its default.
    """
    out = dict(doc)
    if replace:
        for prop in etype.props:
            if not prop.read_only and prop.name not in etype.keys:
                out[prop.name] = prop.default
    for name, value in payload.items():
        if name == "__metadata" or name in etype.navs:
            continue
        prop = etype.prop(name)
        if prop is None:
            raise ODataError(
                400, INVALID_PROPERTY, f"Property '{name}' is invalid for type '{etype.type_name}'", target=name
            )
        if prop.read_only:
            continue
        stored = from_wire(etype, prop, value)
        if name in etype.keys and not creating:
            if stored != doc.get(name):
                raise bad_request(f"Key property '{name}' of {etype.set_name} cannot be changed", target=name)
            continue
        out[name] = stored
    return out


def check_if_match(call: Call, doc: dict[str, Any], etype: EntityType) -> None:
    """Optimistic locking: updates need If-Match with the current etag (or *)."""
    if "__ts" not in doc:
        return
    given = call.headers.get("if-match")
    if not given:
        raise ODataError(
            428,
            PRECONDITION_REQUIRED,
            f"Update of {etype.set_name}{etype.key_predicate(doc)} requires an If-Match header",
        )
    current = etag_of(doc["__ts"])
    if given.strip() != "*" and current not in [g.strip() for g in given.split(",")]:
        raise ODataError(
            412,
            PRECONDITION_FAILED,
            f"{etype.set_name}{etype.key_predicate(doc)} was changed by someone else (etag mismatch)",
        )


def entity_reply(
    etype: EntityType,
    doc: dict[str, Any],
    call: Call,
    *,
    status: int = 200,
    writes: int = 0,
    body: dict[str, Any] | None = None,
) -> Reply:
    entity = body if body is not None else format_entity(etype, doc, call.service_root)
    headers = {}
    if "__ts" in doc:
        headers["ETag"] = etag_of(doc["__ts"])
    if status == 201:
        headers["Location"] = entity["__metadata"]["uri"]
    return Reply(status, {"d": entity}, headers, writes)


def updated_reply(etype: EntityType, doc: dict[str, Any], writes: int) -> Reply:
    """SAP answers a successful update with 204 and the new etag."""
    headers = {"ETag": etag_of(doc["__ts"])} if "__ts" in doc else {}
    return Reply(204, None, headers, writes)


def nav_list(payload: dict[str, Any], nav: str) -> list[dict[str, Any]]:
    """A deep-insert navigation: either a JSON array or {"results": [...]}."""
    value = payload.get(nav)
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get("results", [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad_request(f"Navigation '{nav}' must be a list of entities", target=nav)
    return value


def load_entity(system: Any, etype: EntityType, call: Call) -> dict[str, Any]:
    """The entity a by-key URL names (`A_Product('X')`, `MaterialBOM(...)`); 404 when it does not exist."""
    keys = parse_key_predicate(call.path_params["key"], etype)
    doc = system.store.get(etype.set_name, etype.key_of(keys))
    if doc is None:
        raise not_found(etype.set_name, call.path_params["key"])
    return doc
