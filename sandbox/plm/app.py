"""The PLM sandbox's HTTP routes, shaped like Arena PLM's REST API v1 (plus documented extensions)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.plm import boms, changes, items
from sandbox.plm.errors import BAD_LOGIN, ApiError, error_response
from sandbox.plm.routing import RouteBase
from sandbox.plm.sessions import close_session, open_session
from sandbox.plm.store import new_session_id
from sandbox.plm.subscription_routes import SubscriptionRoutes
from sandbox.plm.views import change_view, item_view, revision_view, urls


class PLMRoutes(RouteBase):
    """Session, item, BOM and change routes bound to one PLM system; the subscription routes join its table."""

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
        await asyncio.to_thread(open_session, self.store, session_id, s.email, s.single_session_per_user)
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
        await asyncio.to_thread(close_session, self.store, request.headers["arena_session_id"])
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
                items.list_items, self.store, filters, offset, limit, self.base_url(request), with_attrs
            )
        )

    async def create_item(self, request: Request) -> Response:
        await self.auth(request)
        body = await self.body(request)
        item = await asyncio.to_thread(items.create_item, self.store, body, self.base_url(request))
        self.wrote()
        return JSONResponse(item, status_code=201)

    async def item(self, request: Request) -> Response:
        await self.auth(request)
        if request.method == "PUT":
            body = await self.body(request)
            rev = await asyncio.to_thread(items.update_item, self.store, request.path_params["guid"], body)
            self.wrote()
        else:
            rev = await asyncio.to_thread(items.get_revision, self.store, request.path_params["guid"])
        return JSONResponse(item_view(rev, self.base_url(request)))

    async def revisions(self, request: Request) -> Response:
        await self.auth(request)

        def _revisions() -> list:
            rev = items.get_revision(self.store, request.path_params["guid"])
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
            rev = boms.bom_revision(self.store, request.path_params["guid"], request.query_params.get("revisionStatus"))
            return boms.bom(self.store, rev["guid"], self.base_url(request))

        return self.page(await asyncio.to_thread(_bom))

    async def add_bom_line(self, request: Request) -> Response:
        await self.auth(request)
        body = await self.body(request)
        line = await asyncio.to_thread(
            boms.add_bom_line, self.store, request.path_params["guid"], body, self.base_url(request)
        )
        self.wrote()
        return JSONResponse(line, status_code=201)

    async def bom_line(self, request: Request) -> Response:
        await self.auth(request)
        guid, line_guid = request.path_params["guid"], request.path_params["line_guid"]
        if request.method == "DELETE":
            await asyncio.to_thread(boms.delete_bom_line, self.store, guid, line_guid)
            self.wrote()
            return Response(status_code=204)
        body = await self.body(request)
        line = await asyncio.to_thread(boms.update_bom_line, self.store, guid, line_guid, body, self.base_url(request))
        self.wrote()
        return JSONResponse(line)

    async def where_used(self, request: Request) -> Response:
        await self.auth(request)
        return self.page(
            await asyncio.to_thread(boms.where_used, self.store, request.path_params["guid"], self.base_url(request))
        )

    # --- changes ------------------------------------------------------------------------------------------
    async def changes(self, request: Request) -> Response:
        await self.auth(request)
        if request.method == "POST":
            body = await self.body(request)
            guid = await asyncio.to_thread(changes.create_change, self.store, body)
            self.wrote()
            for entry in body.get("items", []):  # sandbox convenience: affected items in the same request
                await asyncio.to_thread(changes.add_change_item, self.store, guid, entry)
            change = await asyncio.to_thread(changes.get_change, self.store, guid)
            return JSONResponse(change_view(change, self.base_url(request)), status_code=201)
        offset, limit = self.paging(request)
        filters = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
        rows = await asyncio.to_thread(changes.list_changes, self.store, filters, offset, limit)
        return self.page([change_view(r, self.base_url(request)) for r in rows])

    async def change(self, request: Request) -> Response:
        await self.auth(request)
        change = await asyncio.to_thread(changes.get_change, self.store, request.path_params["guid"])
        return JSONResponse(change_view(change, self.base_url(request)))

    async def change_items(self, request: Request) -> Response:
        await self.auth(request)
        guid = request.path_params["guid"]
        if request.method == "POST":
            body = await self.body(request)
            await asyncio.to_thread(changes.add_change_item, self.store, guid, body)
            self.wrote()
        rows = await asyncio.to_thread(changes.change_items, self.store, guid)
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
            data = await asyncio.to_thread(changes.make_effective, self.store, guid)
            self.wrote()
            await self.system.webhooks.publish("change.effective", data)
            status = "EFFECTIVE"
        elif status in ("OPEN_AND_LOCKED", "OPEN_AND_UNLOCKED", "CANCELED"):
            await asyncio.to_thread(changes.set_change_status, self.store, guid, status)
            self.wrote()
        else:
            raise ApiError(
                400,
                f"status must be one of SUBMITTED, EFFECTIVE, OPEN_AND_LOCKED, OPEN_AND_UNLOCKED, "
                f"CANCELED; got {body.get('status')!r}",
            )
        change = await asyncio.to_thread(changes.get_change, self.store, guid)
        return JSONResponse(
            {
                "change": {"guid": guid, "number": change["number"]},
                "comment": body.get("comment"),
                "status": status,
                "url": urls(self.base_url(request), guid, "changes"),
            },
            status_code=201,
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
            *SubscriptionRoutes(self.system).routes(),
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
