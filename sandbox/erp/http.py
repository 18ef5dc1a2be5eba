"""The service plumbing: a request becomes a `Call`, a handler returns a `Reply`, the adapter renders it.

Handlers are plain functions `(system, call) -> Reply` so `$batch` can run them without HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.erp.errors import METHOD_NOT_ALLOWED, NOT_FOUND, ODataError, bad_request
from sandbox.erp.security import SESSION_COOKIE, WRITE_METHODS

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

ODATA_HEADERS = {"DataServiceVersion": "2.0"}
TUNNELED = {"MERGE", "PATCH", "PUT", "DELETE"}


@dataclass
class Call:
    """One OData operation, from HTTP or from a $batch part."""

    method: str
    path: str  # relative to the service root, e.g. "/A_Product('X')"
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    service_root: str
    user: str = ""

    def json(self) -> dict[str, Any]:
        try:
            payload = json.loads(self.body or b"{}")
        except ValueError:
            raise bad_request("Request body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise bad_request("Request body must be a JSON object")
        return payload.get("d", payload) if isinstance(payload.get("d"), dict) else payload


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    writes: int = 0
    text: str | None = None  # for non-JSON bodies
    content_type: str = "text/plain"


Handler = Callable[["ERPSystem", Call], Reply]


@dataclass(frozen=True)
class ServiceRoute:
    template: str  # relative, e.g. "/A_Product({key})"
    methods: tuple[str, ...]
    handler: Handler


def method_not_allowed(call: Call) -> ODataError:
    return ODataError(405, METHOD_NOT_ALLOWED, f"Method {call.method} is not allowed on '{call.path}'")


def error_reply(exc: ODataError) -> Reply:
    return Reply(exc.status, exc.body(), dict(exc.headers))


def render(reply: Reply) -> Response:
    headers = {**ODATA_HEADERS, **reply.headers}
    if reply.text is not None:
        return Response(reply.text, reply.status, headers=headers, media_type=reply.content_type)
    if reply.body is None or reply.status == 204:
        return Response(b"", reply.status, headers=headers)
    return JSONResponse(reply.body, reply.status, headers=headers)


def execute(system: ERPSystem, handler: Handler, call: Call) -> Reply:
    """Run one handler in one transaction and count its writes once they are committed."""
    with system.store.transaction():
        reply = handler(system, call)
    if reply.writes and system.control is not None:
        system.control.count_write(reply.writes)
    return reply


def make_endpoint(system: ERPSystem, service_path: str, route: ServiceRoute) -> Callable:
    """An async Starlette endpoint: authenticate, check CSRF, run the handler in one transaction."""

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        method = request.method
        if method == "POST" and headers.get("x-http-method", "").upper() in TUNNELED:
            method = headers["x-http-method"].upper()
        root = f"{request.url.scheme}://{request.url.netloc}{service_path}"
        call = Call(
            method,
            request.url.path[len(service_path) :] or "/",
            dict(request.path_params),
            dict(request.query_params),
            headers,
            body,
            root,
        )
        extra: dict[str, str] = {}
        session = request.cookies.get(SESSION_COOKIE)
        try:
            call.user = system.security.authenticate(headers.get("authorization", ""))
            if method in ("GET", "HEAD") and headers.get("x-csrf-token", "").lower() == "fetch":
                token, new_session = system.security.fetch_csrf(session)
                extra["X-CSRF-Token"] = token
                if new_session != session:
                    extra["Set-Cookie"] = f"{SESSION_COOKIE}={new_session}; path=/; HttpOnly"
            elif method in WRITE_METHODS and not system.security.csrf_valid(headers.get("x-csrf-token"), session):
                return render(Reply(403, headers={"X-CSRF-Token": "Required"}, text="CSRF token validation failed"))
            if method == "HEAD" and "GET" in route.methods:
                call.method = "GET"  # the body is dropped on the way out; clients HEAD to fetch a CSRF token
            elif method not in route.methods:
                raise method_not_allowed(call)
            reply = execute(system, route.handler, call)
        except ODataError as exc:
            reply = error_reply(exc)
        reply.headers.update(extra)
        return render(reply)

    return endpoint


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "MERGE", "DELETE"]


def starlette_routes(system: ERPSystem, service_path: str, routes: list[ServiceRoute]) -> list[Route]:
    """Every route takes every method, so a wrong one gets SAP's 405 body rather than Starlette's text."""
    return [
        Route(service_path + r.template, make_endpoint(system, service_path, r), methods=ALL_METHODS) for r in routes
    ]


def unknown_segment(system: ERPSystem, call: Call) -> Reply:
    """Catch-all of a service: an OData 404 naming the segment."""
    raise ODataError(404, NOT_FOUND, f"Resource not found for segment '{call.path.lstrip('/')}'")
