"""The handlers every OData service of the sandbox ERP has alike: service document, `$metadata`, a
collection read, an entity read with `$select`/`$expand`. Each service module adds its own writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sandbox.erp.edm import EntityType
from sandbox.erp.entities import entity_reply
from sandbox.erp.http import Call, Reply, ServiceRoute
from sandbox.erp.metadata import metadata_document
from sandbox.erp.query import Expander, KeyOrderedTable, format_with_expand, parse_options, read_collection

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem


def service_routes(namespace: str, etypes: Sequence[EntityType]) -> list[ServiceRoute]:
    """The service root (its entity sets) and `$metadata` (its EDMX), the first routes of every service."""

    def service_document(system: ERPSystem, call: Call) -> Reply:
        return Reply(200, {"d": {"EntitySets": [etype.set_name for etype in etypes]}})

    def metadata(system: ERPSystem, call: Call) -> Reply:
        return Reply(200, text=metadata_document(namespace, list(etypes)), content_type="application/xml")

    return [
        ServiceRoute("", ("GET",), service_document),
        ServiceRoute("/", ("GET",), service_document),
        ServiceRoute("/$metadata", ("GET",), metadata),
    ]


def collection_reply(
    system: ERPSystem,
    call: Call,
    etype: EntityType,
    docs: list[dict[str, Any]] | KeyOrderedTable | None = None,
    expander: Expander | None = None,
) -> Reply:
    """A GET of the entity set (or of `docs`, when a prefilter picked them) with its query options applied."""
    rows = system.store.all(etype.set_name) if docs is None else docs
    d = read_collection(
        rows,
        etype,
        call.query,
        page_size=system.page_size,
        service_root=call.service_root,
        request_path=call.path,
        expander=expander,
    )
    return Reply(200, {"d": d})


def expanded_entity_reply(call: Call, etype: EntityType, doc: dict[str, Any], expander: Expander) -> Reply:
    """A GET of one entity honouring `$select` and `$expand`."""
    opts = parse_options({k: v for k, v in call.query.items() if k in ("$select", "$expand")}, etype)
    body = format_with_expand(doc, etype, call.service_root, opts, expander)
    return entity_reply(etype, doc, call, body=body)
