"""The PLM sandbox's webhook subscription routes (an extension to Arena's API): subscribe, edit, deliveries."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.plm.errors import ApiError
from sandbox.plm.items import now_iso
from sandbox.plm.routing import RouteBase
from sandbox.plm.store import new_guid
from sandbox.plm.webhooks import secret_key

SUBSCRIPTION_EVENTS = ("change.effective",)


class SubscriptionRoutes(RouteBase):
    """Webhook subscriptions and their delivery log, bound to one PLM system."""

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
                        (guid, fields["url"], fields["events"], fields["secret"], now_iso()),
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

    def routes(self) -> list[Route]:
        return [
            Route("/v1/webhooks/subscriptions", self.subscriptions, methods=["GET", "POST"]),
            Route("/v1/webhooks/subscriptions/{guid}", self.subscription, methods=["GET", "PUT", "DELETE"]),
            Route("/v1/webhooks/subscriptions/{guid}/deliveries", self.deliveries, methods=["GET"]),
        ]
