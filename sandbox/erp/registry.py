"""Where the OData services of the ERP sandbox register themselves, so the app finds them without a cycle.

Each service module (products, boms, ...) calls `register_service` at import time with its root path, its
routes and the entity sets `/_sandbox/summary` counts; the app module imports the service modules and reads
the registry. This module imports nothing of the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sandbox.erp.http import ServiceRoute
from sandbox.erp.store import ERPStore

Count = Callable[[ERPStore], int]


@dataclass(frozen=True)
class Service:
    path: str  # e.g. "/sap/opu/odata/sap/API_PRODUCT_SRV"
    routes: tuple[ServiceRoute, ...]


_services: dict[str, Service] = {}
_counts: dict[str, Count] = {}


def register_service(path: str, routes: list[ServiceRoute], counts: dict[str, str | Count] | None = None) -> None:
    """Serve `routes` under `path`; `counts` maps a summary name to an entity set (or a counting function)."""
    _services[path] = Service(path, tuple(routes))
    for name, what in (counts or {}).items():
        register_count(name, what)


def register_count(name: str, what: str | Count) -> None:
    _counts[name] = what if callable(what) else (lambda store, entity_set=what: store.count(entity_set))


def services() -> list[Service]:
    return list(_services.values())


def summary_counts() -> dict[str, Count]:
    return dict(_counts)
