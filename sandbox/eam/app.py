"""The EAM sandbox's HTTP routes, shaped like Maximo's REST/JSON API (`/maximo/api/os/...` with an API key,
`/maximo/oslc/os/...` with a maxauth login session), plus the publish-channel subscriptions."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import secrets
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.eam import service, writes
from sandbox.eam.errors import METHOD_NOT_ALLOWED, NOT_AUTHENTICATED, MaximoError, bad_value, error_response
from sandbox.eam.materials import now_iso
from sandbox.eam.publish import CHANNELS
from sandbox.eam.query import parse_order_by, parse_select, parse_where, sort_records
from sandbox.eam.structures import Structure, structure
from sandbox.eam.views import href, namespaced, record_view

SESSION_COOKIE = "JSESSIONID"
ROOTS = ("api", "oslc")


class EAMRoutes:
    """Route handlers bound to one EAM system (store, settings, control, publisher, login sessions)."""

    def __init__(self, system: Any) -> None:
        self.system = system
        self.store = system.store
        self.sessions: dict[str, str] = {}  # in memory, as an app server's HTTP sessions are

    # --- helpers ----------------------------------------------------------------------------------------
    @staticmethod
    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _maxauth_user(self, value: str | None) -> str | None:
        s = self.system.settings
        try:
            user, _, password = base64.b64decode(value or "", validate=True).decode().partition(":")
        except ValueError:
            return None
        return user if value and user.lower() == s.username.lower() and password == s.password else None

    def auth(self, request: Request, root: str) -> None:
        if root not in ROOTS:
            raise HTTPException(404)
        s = self.system.settings
        if root == "api":
            key = request.headers.get("apikey") or request.query_params.get("apikey")
            if key and secrets.compare_digest(key, s.apikey):
                return
        elif request.cookies.get(SESSION_COOKIE) in self.sessions or self._maxauth_user(request.headers.get("maxauth")):
            return
        raise MaximoError(
            401, NOT_AUTHENTICATED, "BMXAA0021E - User name and password combination are not valid. Try again."
        )

    @staticmethod
    def lean(request: Request, root: str) -> bool:
        """MAS's /api route answers lean JSON by default; /oslc the namespaced form unless lean=1."""
        return request.query_params.get("lean", "1" if root == "api" else "0") == "1"

    @staticmethod
    async def body(request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise bad_value("BMXAA4195E - The request body is not valid JSON.") from None

    async def write(self, request: Request, work) -> Any:
        s = self.system.settings
        result, events = await asyncio.to_thread(
            writes.run_write,
            self.store,
            s.siteid,
            s.storeroom,
            request.headers.get("transactionid"),
            s.transaction_lifetime_s,
            work,
        )
        if events:
            await self.system.publisher.publish(events)
        return result

    def wrote(self, n: int = 1) -> None:
        self.system.control.count_write(n)

    def answer(self, request: Request, os: Structure, root: str, row, status: int) -> Response:
        """204/201 with a Location; the record itself when the client sent a `properties` header."""
        location = href(self.base(request), root, os, row.data)
        headers = {"Location": location}
        props = request.headers.get("properties")
        if props is None:
            return Response(status_code=status, headers=headers)
        children = self.store.children_of([row.id]).get(row.id, [])
        fresh = self.store.get(row.id) or row
        view = record_view(os, fresh, children, self.base(request), root, parse_select(props), collection=False)
        return JSONResponse(view, status_code=200 if status == 204 else status, headers=headers)

    # --- session ------------------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        user = self._maxauth_user(request.headers.get("maxauth"))
        if user is None:
            raise MaximoError(
                401, NOT_AUTHENTICATED, "BMXAA0021E - User name and password combination are not valid. Try again."
            )
        session_id = secrets.token_urlsafe(24)
        self.sessions[session_id] = user
        response = JSONResponse(
            {"userid": user.upper(), "displayname": "Sandbox Integration User", "defsite": self.system.settings.siteid}
        )
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True, path="/maximo")
        return response

    async def logout(self, request: Request) -> Response:
        self.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = Response(status_code=200)
        response.delete_cookie(SESSION_COOKIE, path="/maximo")
        return response

    # --- reads --------------------------------------------------------------------------------------------
    async def collection(self, request: Request) -> Response:
        root = request.path_params["root"]
        self.auth(request, root)
        os = structure(request.path_params["structure"])
        if request.method == "POST":
            return await self.create(request, os, root)
        return await asyncio.to_thread(self._query, request, os, root)

    def _query(self, request: Request, os: Structure, root: str) -> Response:
        q = request.query_params
        select, where = parse_select(q.get("oslc.select")), parse_where(q.get("oslc.where"))
        delta = q.get("fetchmodedelta") == "1"
        after = None
        if delta:
            try:
                after = int(q.get("lastfetchts", "0"))
            except ValueError:
                raise MaximoError(
                    400, "BMXAA9366E", f"lastfetchts must be a rowstamp, got {q['lastfetchts']!r}"
                ) from None
        rows = [r for r in self.store.read(os.kind, after_rowstamp=after) if where(r.data)]
        order = parse_order_by(q.get("oslc.orderBy"))
        rows = (
            sort_records(rows, order, lambda r: r.data)
            if order
            else (sorted(rows, key=lambda r: r.rowstamp) if delta else rows)
        )
        size = self._page_size(q.get("oslc.pageSize"), len(rows))
        pages = max(1, math.ceil(len(rows) / size))
        try:
            page = int(q.get("pageno", "1"))
        except ValueError:
            raise MaximoError(400, "BMXAA9366E", f"pageno must be a number, got {q['pageno']!r}") from None
        chunk = rows[(page - 1) * size : page * size]
        children = (
            self.store.children_of([r.id for r in chunk])
            if os.children and (select is not None and any(c.name in select or "*" in select for c in os.children))
            else {}
        )
        base = self.base(request)
        url = f"{base}{request.url.path}"
        info: dict[str, Any] = {"href": f"{url}?{request.url.query}", "pagenum": page, "totalPages": pages}
        if q.get("collectioncount") == "1":
            info["totalCount"] = len(rows)
        if page < pages:
            info["nextPage"] = {"href": f"{url}?{urlencode({**dict(q), 'pageno': str(page + 1)})}"}
        if page > 1:
            info["previousPage"] = {"href": f"{url}?{urlencode({**dict(q), 'pageno': str(page - 1)})}"}
        body = {
            "member": [record_view(os, r, children.get(r.id, []), base, root, select, collection=True) for r in chunk],
            "href": url,
            "responseInfo": info,
        }
        headers = {}
        if delta:
            headers["maxrowstamp"] = str(max((r.rowstamp for r in rows), default=after or 0))
        return JSONResponse(body if self.lean(request, root) else namespaced(body), headers=headers)

    def _page_size(self, raw: str | None, total: int) -> int:
        if raw is None:
            return max(1, total)  # Maximo pages only when asked to
        try:
            size = int(raw)
        except ValueError:
            raise MaximoError(400, "BMXAA9366E", f"oslc.pageSize must be a number, got {raw!r}") from None
        if size < 1:
            raise MaximoError(400, "BMXAA9366E", f"oslc.pageSize must be 1 or more, got {size}")
        return size

    async def resource(self, request: Request) -> Response:
        root = request.path_params["root"]
        self.auth(request, root)
        os = structure(request.path_params["structure"])
        href_id = request.path_params["id"]
        override = (request.headers.get("x-method-override") or request.method).upper()
        action = request.query_params.get("action")
        if request.method == "GET":
            return await asyncio.to_thread(self._get_one, request, os, root, href_id)
        body = await self.body(request)
        if not isinstance(body, dict):
            raise bad_value("BMXAA4195E - The request body must be a JSON object.")
        if action:
            handlers = {
                "wsmethod:changestatus": writes.change_status,
                "wsmethod:adjustcurrentbalance": writes.adjust_balance,
            }
            handler = handlers.get(action.lower())
            if handler is None:
                raise bad_value(f"BMXAA4195E - The action {action} is not supported on {os.name.upper()}.")
            row = await self.write(request, lambda w: handler(w, os, writes.resolve(w, os, href_id), body))
            self.wrote()
            return self.answer(request, os, root, row, 204)
        if override == "PATCH":
            merge = (request.headers.get("patchtype") or "").upper() == "MERGE"
            row = await self.write(
                request, lambda w: service.update(w, os, writes.resolve(w, os, href_id), body, merge=merge)
            )
            self.wrote()
            return self.answer(request, os, root, row, 204)
        if override == "DELETE":
            await self.write(request, lambda w: service.delete(w, os, writes.resolve(w, os, href_id)))
            self.wrote()
            return Response(status_code=204)
        raise MaximoError(
            405,
            METHOD_NOT_ALLOWED,
            f"POST to a {os.name.upper()} resource needs x-method-override PATCH or DELETE, or an action.",
        )

    def _get_one(self, request: Request, os: Structure, root: str, href_id: str) -> Response:
        key = os.key_from_href_id(href_id)
        row = self.store.find(os.kind, key)
        if row is None:
            raise MaximoError(404, "BMXAA8727E", f"The resource {os.name.upper()} {key} cannot be found.")
        children = self.store.children_of([row.id]).get(row.id, [])
        view = record_view(
            os,
            row,
            children,
            self.base(request),
            root,
            parse_select(request.query_params.get("oslc.select")),
            collection=False,
        )
        return JSONResponse(view if self.lean(request, root) else namespaced(view))

    # --- writes -------------------------------------------------------------------------------------------
    async def create(self, request: Request, os: Structure, root: str) -> Response:
        body = await self.body(request)
        if (request.headers.get("x-method-override") or "").upper() == "BULK":
            if not isinstance(body, list):
                raise bad_value("BMXAA4195E - A BULK request body must be a JSON array.")
            base = self.base(request)
            answers, written = await self.write(
                request, lambda w: writes.bulk(w, os, body, lambda data: href(base, root, os, data))
            )
            self.wrote(written)
            return JSONResponse(answers)
        if not isinstance(body, dict):
            raise bad_value("BMXAA4195E - The request body must be a JSON object.")
        row = await self.write(request, lambda w: service.create(w, os, body))
        self.wrote()
        return self.answer(request, os, root, row, 201)

    # --- publish channel subscriptions (sandbox route) --------------------------------------------------
    async def subscriptions(self, request: Request) -> Response:
        if request.method == "GET":
            rows = await asyncio.to_thread(
                self.store.query, "SELECT id, url, events, created_at FROM subscriptions ORDER BY created_at, id"
            )
            return JSONResponse({"member": [{**dict(r), "events": json.loads(r["events"])} for r in rows]})
        body = await self.body(request)
        url, events = body.get("url"), body.get("events", list(CHANNELS))
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad_value("BMXAA4195E - subscription url must be an http(s) URL.")
        unknown = [e for e in events if e not in CHANNELS and e != "*"]
        if unknown:
            raise bad_value(f"BMXAA4195E - unknown event(s) {unknown}; known: {sorted(CHANNELS)}")
        sub_id = "sub_" + secrets.token_hex(8)
        secret = body.get("secret") or self.system.settings.publish_secret

        def _store() -> None:
            with self.store.tx() as c:
                c.execute(
                    "INSERT INTO subscriptions(id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                    (sub_id, url, json.dumps(events), secret, now_iso()),
                )

        await asyncio.to_thread(_store)
        return JSONResponse({"id": sub_id, "url": url, "events": events}, status_code=201)

    async def subscription(self, request: Request) -> Response:
        sub_id = request.path_params["id"]

        def _drop() -> int:
            with self.store.tx() as c:
                return c.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,)).rowcount

        if not await asyncio.to_thread(_drop):
            raise MaximoError(404, "BMXAA8727E", f"The subscription {sub_id} cannot be found.")
        return Response(status_code=204)

    async def deliveries(self, request: Request) -> Response:
        rows = await asyncio.to_thread(self.store.query, "SELECT * FROM deliveries ORDER BY id")
        return JSONResponse({"member": [{**dict(r), "succeeded": bool(r["succeeded"])} for r in rows]})

    def routes(self) -> list[Route]:
        return [
            Route("/maximo/oslc/login", self.login, methods=["GET", "POST"]),
            Route("/maximo/oslc/logout", self.logout, methods=["GET", "POST"]),
            Route("/maximo/{root}/os/{structure}", self.collection, methods=["GET", "POST"]),
            Route("/maximo/{root}/os/{structure}/{id}", self.resource, methods=["GET", "POST", "PATCH", "DELETE"]),
            Route("/_sandbox/publish/subscriptions", self.subscriptions, methods=["GET", "POST"]),
            Route("/_sandbox/publish/subscriptions/{id}", self.subscription, methods=["DELETE"]),
            Route("/_sandbox/publish/deliveries", self.deliveries, methods=["GET"]),
        ]


async def maximo_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MaximoError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {
        404: f"The resource {request.url.path} cannot be found.",
        405: f"Method {request.method} is not supported on {request.url.path}.",
    }.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, message, "BMXAA8727E" if exc.status_code == 404 else METHOD_NOT_ALLOWED)


async def server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, f"Internal error: {type(exc).__name__}")
