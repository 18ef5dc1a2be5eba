"""The PLM sandbox's HTTP routes, shaped like Arena PLM's REST API v1 (plus documented extensions)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.plm import service
from sandbox.plm.errors import BAD_FORMAT, BAD_LOGIN, ApiError, error_response
from sandbox.plm.store import new_guid, new_session_id
from sandbox.plm.views import change_view, item_view, revision_view, urls
from sandbox.plm.webhooks import secret_key

DEFAULT_LIMIT, MAX_LIMIT = 20, 400
SUBSCRIPTION_EVENTS = ("change.effective",)


class PLMRoutes:
    """Route handlers bound to one PLM system (its store, settings, control and webhook dispatcher)."""

    def __init__(self, system: Any) -> None:
        self.system = system
        self.store = system.store

    # --- helpers --------------------------------------------------------------------------------------
    def base_url(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def auth(self, request: Request) -> None:
        await asyncio.to_thread(
            service.touch_session,
            self.store,
            request.headers.get("arena_session_id"),
            self.system.settings.session_lifetime_s,
        )

    async def body(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise ApiError(
                400, "The format of the request is not valid. Please check the syntax.", BAD_FORMAT
            ) from None
        if not isinstance(body, dict):
            raise ApiError(400, "The format of the request is not valid: expected a JSON object.", BAD_FORMAT)
        return body

    @staticmethod
    def paging(request: Request) -> tuple[int, int]:
        values = {}
        for name, default in (("offset", 0), ("limit", DEFAULT_LIMIT)):
            raw = request.query_params.get(name, str(default))
            try:
                values[name] = int(raw)
            except ValueError:
                raise ApiError(400, f"{name} must be an integer, got {raw!r}") from None
        if values["offset"] < 0:
            raise ApiError(400, f"offset must be 0 or more, got {values['offset']}")
        if not 1 <= values["limit"] <= MAX_LIMIT:
            raise ApiError(400, f"limit must be between 1 and {MAX_LIMIT}, got {values['limit']}")
        return values["offset"], values["limit"]

    @staticmethod
    def page(results: list) -> JSONResponse:
        return JSONResponse({"count": len(results), "results": results})

    def wrote(self, n: int = 1) -> None:
        self.system.control.count_write(n)

    # --- session --------------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        body = await self.body(request)
        s = self.system.settings
        workspace = body.get("workspaceId", s.workspace_id)
        if body.get("email") != s.email or body.get("password") != s.password or str(workspace) != str(s.workspace_id):
            raise ApiError(
                400,
                "The username, password or workspace ID is not valid or you are not allowed to log "
                "in due to IP restriction.",
                BAD_LOGIN,
            )
        session_id = new_session_id()

        def _store() -> None:
            with self.store.tx() as c:
                if s.single_session_per_user:  # Arena: a second login cancels the first session
                    c.execute("DELETE FROM sessions WHERE email = ?", (s.email,))
                c.execute(
                    "INSERT INTO sessions(id, email, last_used) VALUES (?, ?, ?)", (session_id, s.email, time.time())
                )

        await asyncio.to_thread(_store)
        limit = self.system.control.faults.rate_limit
        return JSONResponse(
            {
                "arenaSessionId": session_id,
                "workspaceId": s.workspace_id,
                "workspaceName": s.workspace_name,
                "workspaceRequestLimit": limit,
            }
        )

    async def logout(self, request: Request) -> Response:
        await self.auth(request)
        session_id = request.headers["arena_session_id"]

        def _drop() -> None:
            with self.store.tx() as c:
                c.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

        await asyncio.to_thread(_drop)
        return Response(status_code=200)

    # --- items ------------------------------------------------------------------------------------------
    async def items(self, request: Request) -> Response:
        await self.auth(request)
        offset, limit = self.paging(request)
        filters = {
            k: v for k, v in request.query_params.items() if k not in ("offset", "limit", "includeAdditionalAttributes")
        }
        with_attrs = request.query_params.get("includeAdditionalAttributes", "false").lower() == "true"
        return self.page(
            await asyncio.to_thread(
                service.list_items, self.store, filters, offset, limit, self.base_url(request), with_attrs
            )
        )

    async def create_item(self, request: Request) -> Response:
        await self.auth(request)
        body = await self.body(request)
        item = await asyncio.to_thread(service.create_item, self.store, body, self.base_url(request))
        self.wrote()
        return JSONResponse(item, status_code=201)

    async def item(self, request: Request) -> Response:
        await self.auth(request)
        if request.method == "PUT":
            body = await self.body(request)
            rev = await asyncio.to_thread(service.update_item, self.store, request.path_params["guid"], body)
            self.wrote()
        else:
            rev = await asyncio.to_thread(service.get_revision, self.store, request.path_params["guid"])
        return JSONResponse(item_view(rev, self.base_url(request)))

    async def revisions(self, request: Request) -> Response:
        await self.auth(request)

        def _revisions() -> list:
            rev = service.get_revision(self.store, request.path_params["guid"])
            rows = self.store.query(
                "SELECT * FROM revisions WHERE item_id = ? ORDER BY status = 0 DESC, status, effective_at DESC",
                (rev["item_id"],),
            )
            return [
                revision_view(
                    r,
                    self.store.one("SELECT * FROM changes WHERE guid = ?", (r["change_guid"],))
                    if r["change_guid"]
                    else None,
                    self.base_url(request),
                )
                for r in rows
            ]

        return self.page(await asyncio.to_thread(_revisions))

    async def bom(self, request: Request) -> Response:
        await self.auth(request)

        def _bom() -> list:
            rev = service.bom_revision(
                self.store, request.path_params["guid"], request.query_params.get("revisionStatus")
            )
            return service.bom(self.store, rev["guid"], self.base_url(request))

        return self.page(await asyncio.to_thread(_bom))

    async def add_bom_line(self, request: Request) -> Response:
        await self.auth(request)
        body = await self.body(request)
        line = await asyncio.to_thread(
            service.add_bom_line, self.store, request.path_params["guid"], body, self.base_url(request)
        )
        self.wrote()
        return JSONResponse(line, status_code=201)

    async def bom_line(self, request: Request) -> Response:
        await self.auth(request)
        guid, line_guid = request.path_params["guid"], request.path_params["line_guid"]
        if request.method == "DELETE":
            await asyncio.to_thread(service.delete_bom_line, self.store, guid, line_guid)
            self.wrote()
            return Response(status_code=204)
        body = await self.body(request)
        line = await asyncio.to_thread(
            service.update_bom_line, self.store, guid, line_guid, body, self.base_url(request)
        )
        self.wrote()
        return JSONResponse(line)

    async def where_used(self, request: Request) -> Response:
        await self.auth(request)
        return self.page(
            await asyncio.to_thread(service.where_used, self.store, request.path_params["guid"], self.base_url(request))
        )

    # --- changes ------------------------------------------------------------------------------------------
    async def changes(self, request: Request) -> Response:
        await self.auth(request)
        if request.method == "POST":
            body = await self.body(request)
            guid = await asyncio.to_thread(service.create_change, self.store, body)
            self.wrote()
            for entry in body.get("items", []):  # sandbox convenience: affected items in the same request
                await asyncio.to_thread(service.add_change_item, self.store, guid, entry)
            change = await asyncio.to_thread(service.get_change, self.store, guid)
            return JSONResponse(change_view(change, self.base_url(request)), status_code=201)
        offset, limit = self.paging(request)
        filters = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
        rows = await asyncio.to_thread(service.list_changes, self.store, filters, offset, limit)
        return self.page([change_view(r, self.base_url(request)) for r in rows])

    async def change(self, request: Request) -> Response:
        await self.auth(request)
        change = await asyncio.to_thread(service.get_change, self.store, request.path_params["guid"])
        return JSONResponse(change_view(change, self.base_url(request)))

    async def change_items(self, request: Request) -> Response:
        await self.auth(request)
        guid = request.path_params["guid"]
        if request.method == "POST":
            body = await self.body(request)
            await asyncio.to_thread(service.add_change_item, self.store, guid, body)
            self.wrote()
        rows = await asyncio.to_thread(service.change_items, self.store, guid)
        return self.page([self._change_item_view(r, request) for r in rows])

    def _change_item_view(self, row: Any, request: Request) -> dict[str, Any]:
        base = self.base_url(request)

        def ref(guid: str | None) -> dict[str, Any] | None:
            if guid is None:
                return None
            rev = self.store.revision(guid)
            return {
                "guid": guid,
                "number": row["item_number"],
                "name": row["name"],
                "revisionNumber": rev["number"],
                "url": urls(base, guid),
            }

        return {
            "guid": row["guid"],
            "affectedItemRevision": ref(row["old_revision_guid"]),
            "newItemRevision": ref(row["new_revision_guid"]),
            "newRevisionNumber": row["new_revision_number"],
            "item": {"number": row["item_number"], "name": row["name"]},
        }

    async def status_changes(self, request: Request) -> Response:
        await self.auth(request)
        body = await self.body(request)
        change_ref, status = body.get("change"), str(body.get("status", "")).upper()
        if not isinstance(change_ref, dict) or not isinstance(change_ref.get("guid"), str):
            raise ApiError(400, 'status change needs "change": {"guid": ...}')
        guid = change_ref["guid"]
        if status in ("EFFECTIVE", "SUBMITTED"):  # auto-routing with no approvers: submitting releases at once
            data = await asyncio.to_thread(service.make_effective, self.store, guid)
            self.wrote()
            await self.system.webhooks.publish("change.effective", data)
            status = "EFFECTIVE"
        elif status in ("OPEN_AND_LOCKED", "OPEN_AND_UNLOCKED", "CANCELED"):
            await asyncio.to_thread(service.set_change_status, self.store, guid, status)
            self.wrote()
        else:
            raise ApiError(
                400,
                f"status must be one of SUBMITTED, EFFECTIVE, OPEN_AND_LOCKED, OPEN_AND_UNLOCKED, "
                f"CANCELED; got {body.get('status')!r}",
            )
        change = await asyncio.to_thread(service.get_change, self.store, guid)
        return JSONResponse(
            {
                "change": {"guid": guid, "number": change["number"]},
                "comment": body.get("comment"),
                "status": status,
                "url": urls(self.base_url(request), guid, "changes"),
            },
            status_code=201,
        )

    # --- webhook subscriptions (extension) ----------------------------------------------------------------
    def _subscription_view(self, row: Any) -> dict[str, Any]:
        return {
            "guid": row["guid"],
            "url": row["url"],
            "events": json.loads(row["events"]),
            "active": bool(row["active"]),
            "creationDateTime": row["created_at"],
        }

    def _subscription_fields(self, body: dict, partial: bool) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if "url" in body or not partial:
            url = body.get("url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ApiError(400, f'subscription "url" must be an http(s) URL, got {url!r}')
            fields["url"] = url
        if "events" in body or not partial:
            events = body.get("events", list(SUBSCRIPTION_EVENTS))
            unknown = (
                [e for e in events if e not in (*SUBSCRIPTION_EVENTS, "*")] if isinstance(events, list) else events
            )
            if not isinstance(events, list) or unknown:
                raise ApiError(
                    400, f"subscription events must be a list from {list(SUBSCRIPTION_EVENTS)}; bad: {unknown}"
                )
            fields["events"] = json.dumps(events)
        if "secret" in body or not partial:
            secret = body.get("secret") or self.system.settings.webhook_secret
            try:
                secret_key(secret)
            except ValueError as exc:
                raise ApiError(400, f"subscription secret: {exc}") from None
            fields["secret"] = secret
        if "active" in body:
            fields["active"] = int(bool(body["active"]))
        return fields

    async def subscriptions(self, request: Request) -> Response:
        await self.auth(request)
        if request.method == "POST":
            fields = self._subscription_fields(await self.body(request), partial=False)
            guid = new_guid()

            def _insert() -> None:
                with self.store.tx() as c:
                    c.execute(
                        "INSERT INTO subscriptions(guid, url, events, secret, active, created_at) "
                        "VALUES (?, ?, ?, ?, 1, ?)",
                        (guid, fields["url"], fields["events"], fields["secret"], service.now_iso()),
                    )

            await asyncio.to_thread(_insert)
            self.wrote()
            row = self.store.one("SELECT * FROM subscriptions WHERE guid = ?", (guid,))
            return JSONResponse(self._subscription_view(row), status_code=201)
        rows = self.store.query("SELECT * FROM subscriptions ORDER BY created_at, guid")
        return self.page([self._subscription_view(r) for r in rows])

    async def subscription(self, request: Request) -> Response:
        await self.auth(request)
        guid = request.path_params["guid"]
        row = self.store.one("SELECT * FROM subscriptions WHERE guid = ?", (guid,))
        if row is None:
            raise ApiError(404, f'No webhook subscription with guid "{guid}".')
        if request.method == "GET":
            return JSONResponse(self._subscription_view(row))
        with self.store.tx() as c:
            if request.method == "DELETE":
                c.execute("DELETE FROM subscriptions WHERE guid = ?", (guid,))
            else:
                fields = self._subscription_fields(await self.body(request), partial=True)
                for name, value in fields.items():
                    c.execute(f"UPDATE subscriptions SET {name} = ? WHERE guid = ?", (value, guid))
        self.wrote()
        if request.method == "DELETE":
            return Response(status_code=204)
        return JSONResponse(
            self._subscription_view(self.store.one("SELECT * FROM subscriptions WHERE guid = ?", (guid,)))
        )

    async def deliveries(self, request: Request) -> Response:
        await self.auth(request)
        guid = request.path_params["guid"]
        if self.store.one("SELECT 1 FROM subscriptions WHERE guid = ?", (guid,)) is None:
            raise ApiError(404, f'No webhook subscription with guid "{guid}".')
        rows = self.store.query("SELECT * FROM deliveries WHERE subscription_guid = ? ORDER BY id", (guid,))
        return self.page(
            [
                {
                    "eventId": r["event_id"],
                    "eventType": r["event_type"],
                    "attempt": r["attempt"],
                    "attemptedDateTime": r["attempted_at"],
                    "statusCode": r["status_code"],
                    "error": r["error"],
                    "succeeded": bool(r["succeeded"]),
                }
                for r in rows
            ]
        )

    # --- table ----------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/v1/login", self.login, methods=["POST"]),
            Route("/v1/logout", self.logout, methods=["PUT"]),
            Route("/v1/items", self.items, methods=["GET"]),
            Route("/v1/items", self.create_item, methods=["POST"]),
            Route("/v1/items/{guid}", self.item, methods=["GET", "PUT"]),
            Route("/v1/items/{guid}/revisions", self.revisions, methods=["GET"]),
            Route("/v1/items/{guid}/bom", self.bom, methods=["GET"]),
            Route("/v1/items/{guid}/bom", self.add_bom_line, methods=["POST"]),
            Route("/v1/items/{guid}/bom/{line_guid}", self.bom_line, methods=["PUT", "DELETE"]),
            Route("/v1/items/{guid}/whereused", self.where_used, methods=["GET"]),
            Route("/v1/changes", self.changes, methods=["GET", "POST"]),
            Route("/v1/changes/statuschanges", self.status_changes, methods=["POST"]),
            Route("/v1/changes/{guid}", self.change, methods=["GET"]),
            Route("/v1/changes/{guid}/items", self.change_items, methods=["GET", "POST"]),
            Route("/v1/webhooks/subscriptions", self.subscriptions, methods=["GET", "POST"]),
            Route("/v1/webhooks/subscriptions/{guid}", self.subscription, methods=["GET", "PUT", "DELETE"]),
            Route("/v1/webhooks/subscriptions/{guid}/deliveries", self.deliveries, methods=["GET"]),
        ]


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.code)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {
        404: "Resource not found - endpoint not supported.",
        405: f"Method {request.method} is not supported on {request.url.path}.",
    }.get(exc.status_code, exc.detail)
    return error_response(exc.status_code, message)


async def server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, f"Internal error: {type(exc).__name__}")
