"""The ERP sandbox: SAP S/4HANA's OData v2 services on loopback: products and BOMs (API_PRODUCT_SRV,
API_BILL_OF_MATERIAL_SRV;v=0002) and maintenance (reservations, material documents, stock, equipment,
maintenance orders).

`create_app(ERPSettings())` returns the ASGI app; `connection_facts` the block `sandbox.json` carries.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.control import Faults, SandboxControl
from sandbox.erp import (  # noqa: F401  (importing a service module registers it)
    boms,
    equipment,
    maintenance_orders,
    material_documents,
    production_confirmations,
    production_orders,
    products,
    purchase_requisitions,
    registry,
    reservations,
    stock,
)
from sandbox.erp.batch import batch_handler
from sandbox.erp.errors import RATE_LIMITED, UNAVAILABLE, error_body
from sandbox.erp.http import ALL_METHODS, ServiceRoute, starlette_routes, unknown_segment
from sandbox.erp.security import Credentials, Security, decode_basic
from sandbox.erp.seeding import seed
from sandbox.erp.settings import ERPSettings
from sandbox.erp.store import ERPStore
from sandbox.erp.system import PLANT_SET, UNIT_SET, ERPSystem

__all__ = ["ERPSettings", "connection_facts", "create_app"]

TOKEN_PATH = "/sap/bc/sec/oauth2/token"


def _error_response(status: int, message: str) -> Response:
    code = RATE_LIMITED if status == 429 else UNAVAILABLE
    return JSONResponse(error_body(code, message), status_code=status, headers={"DataServiceVersion": "2.0"})


def _rate_limit_headers(limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(max(0, math.ceil(reset_in))),
    }


def _token_endpoint(security: Security):
    """OAuth 2.0 client credentials (RFC 6749 4.4): client id/secret by HTTP Basic or form fields."""

    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        client_id, secret = (
            decode_basic(value)
            if scheme.lower() == "basic"
            else (form.get("client_id", ""), form.get("client_secret", ""))
        )
        if not security.client_ok(client_id, secret):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Bad client credentials"},
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="OAuth"'},
            )
        if form.get("grant_type") != "client_credentials":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Only grant_type=client_credentials is supported",
                },
                status_code=400,
            )
        return JSONResponse(security.issue_token(), headers={"Cache-Control": "no-store"})

    return token


def _service_routes(system: ERPSystem, path: str, routes: list[ServiceRoute]) -> list[Route]:
    with_batch = [
        *routes,
        ServiceRoute("/$batch", ("POST",), batch_handler(routes, path)),
        ServiceRoute("/{segment:path}", tuple(ALL_METHODS), unknown_segment),
    ]
    return starlette_routes(system, path, with_batch)


def create_app(settings: ERPSettings) -> Any:
    """The ERP sandbox as an ASGI app (wrapped by the fault control); `.sandbox` is the ERPSystem."""
    store = ERPStore(settings.db_path)
    security = Security(
        Credentials(settings.client_id, settings.client_secret, settings.username, settings.password),
        settings.token_lifetime_s,
        settings.csrf_lifetime_s,
    )
    system = ERPSystem(settings, store, security)
    system.summary_counts = {
        **registry.summary_counts(),
        "plants": lambda s: s.count(PLANT_SET),
        "units": lambda s: s.count(UNIT_SET),
    }
    if store.is_empty():
        seed(system, settings.profile, settings.seed)

    def on_reset(body: dict) -> None:
        """Reseed, and return the runtime settings (page size, lifetimes) to their configured values."""
        seed(system, str(body.get("profile", settings.profile)), int(body.get("seed", settings.seed)))
        system.page_size = settings.page_size
        security.token_lifetime_s, security.csrf_lifetime_s = settings.token_lifetime_s, settings.csrf_lifetime_s

    def set_page_size(value: Any) -> None:
        system.page_size = max(1, int(value))

    control = SandboxControl(
        "erp",
        error_response=_error_response,
        rate_limit_headers=_rate_limit_headers,
        on_reset=on_reset,
        summary=system.summary,
        settings={
            "token_lifetime_s": lambda v: setattr(security, "token_lifetime_s", float(v)),
            "csrf_lifetime_s": lambda v: setattr(security, "csrf_lifetime_s", float(v)),
            "page_size": set_page_size,
        },
        expiries={"oauth_tokens": security.expire_tokens, "csrf_tokens": security.expire_csrf},
        default_faults=Faults(rate_limit=settings.rate_limit, rate_window_s=settings.rate_window_s),
        rng_seed=settings.seed,
        not_writes=(TOKEN_PATH,),
    )
    system.control = control

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        store.checkpoint()

    app = Starlette(
        routes=[
            Route(TOKEN_PATH, _token_endpoint(security), methods=["POST"]),
            *(
                route
                for service in registry.services()
                for route in _service_routes(system, service.path, list(service.routes))
            ),
            *control.routes(),
        ],
        lifespan=lifespan,
    )
    wrapped = control.wrap(app)
    wrapped.sandbox = system
    wrapped.starlette = app
    return wrapped


def connection_facts(settings: ERPSettings, base_url: str) -> dict[str, str]:
    """The ERP block of sandbox.json: where to connect and the sandbox's own credentials."""
    base = base_url.rstrip("/")
    return {
        "base_url": base,
        "token_url": f"{base}{TOKEN_PATH}",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "username": settings.username,
        "password": settings.password,
    }
