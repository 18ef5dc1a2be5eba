"""The MES sandbox's REST routes, shaped like Azumuta's API (`/api/v1`, an `X-API-Key` header): articles, work
instructions, product orders, recordings of completed orders, and triggers per article category."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.mes.triggers import AUTH_MODES, EVENT, METHODS, now_iso

API = "/api/v1"
STATUSES = ("OPEN", "IN_PROGRESS", "COMPLETED", "CLOSED", "CANCELLED")
CLOSING = ("CLOSED", "CANCELLED")  # what the integration may set; COMPLETED comes from the shop floor only
ORDER_FIELDS = ("quantity", "dueDate", "parameters", "variants", "status", "externalReference")


class MESError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, message: str, code: str = "error") -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def mes_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MESError)
    return error_response(exc.status, exc.message, exc.code)


def _bad(message: str) -> MESError:
    return MESError(400, "validation_error", message)


def _quantity(value: Any, field: str, where: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (value == 0 and not allow_zero):
        raise _bad(f"{where}: {field} must be a number {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def _due_date(value: Any, where: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _bad(f"{where}: dueDate must be a date YYYY-MM-DD, got {value!r}") from None


def _mapping(value: Any, field: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{where}: {field} must be an object, got {type(value).__name__}")
    return value


class MESRoutes:
    def __init__(self, system: Any) -> None:
        self.system = system
        self.store = system.store

    def auth(self, request: Request) -> None:
        key = request.headers.get("x-api-key", "")
        if not (key and secrets.compare_digest(key, self.system.settings.api_key)):
            raise MESError(401, "unauthorized", "missing or invalid API key (X-API-Key)")

    @staticmethod
    async def body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise _bad("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _bad("the request body must be a JSON object")
        return body

    def _found(self, kind: str, doc_id: str) -> dict[str, Any]:
        doc = self.store.get(kind, doc_id)
        if doc is None:
            raise MESError(404, "not_found", f"{kind.replace('_', ' ')} {doc_id} does not exist")
        return doc

    @staticmethod
    def _listing(items: list[dict[str, Any]], request: Request, filters: dict[str, str]) -> Response:
        q = request.query_params
        for param, field in filters.items():
            if param in q:
                items = [i for i in items if str(i.get(field)) == q[param]]
        return JSONResponse({"data": items, "total": len(items)})

    # --- articles and work instructions -----------------------------------------------------------------
    async def articles(self, request: Request) -> Response:
        self.auth(request)
        filters = {"erpMaterial": "erpMaterial", "category": "category", "number": "number"}
        return self._listing(await asyncio.to_thread(self.store.all, "article"), request, filters)

    async def article(self, request: Request) -> Response:
        self.auth(request)
        return JSONResponse(self._found("article", request.path_params["id"]))

    async def work_instructions(self, request: Request) -> Response:
        self.auth(request)
        return self._listing(self.store.all("work_instruction"), request, {"articleId": "articleId"})

    async def work_instruction(self, request: Request) -> Response:
        self.auth(request)
        return JSONResponse(self._found("work_instruction", request.path_params["id"]))

    # --- product orders --------------------------------------------------------------------------------
    async def product_orders(self, request: Request) -> Response:
        self.auth(request)
        if request.method == "POST":
            return await self._create_order(await self.body(request))
        filters = {"status": "status", "articleId": "articleId", "number": "number"}
        return self._listing(self.store.all("product_order"), request, filters)

    async def _create_order(self, body: dict[str, Any]) -> Response:
        number = str(body.get("number") or "").strip()
        where = f"product order {number or '(no number)'}"
        if not number or len(number) > 40:
            raise _bad(f"{where}: number is required (1..40 characters)")
        article = self.store.get("article", str(body.get("articleId", "")))
        if article is None:
            raise _bad(f"{where}: articleId {body.get('articleId')!r} is not an article")
        unknown = sorted(set(body) - {"number", "articleId", *ORDER_FIELDS})
        if unknown:
            raise _bad(f"{where}: unknown field(s) {', '.join(unknown)}")
        stamp = now_iso()
        order = {
            "number": number,
            "articleId": article["id"],
            "articleNumber": article["number"],
            "quantity": _quantity(body.get("quantity"), "quantity", where),
            "unit": article["unit"],
            "dueDate": _due_date(body.get("dueDate"), where),
            "parameters": _mapping(body.get("parameters", {}), "parameters", where),
            "variants": _mapping(body.get("variants", {}), "variants", where),
            "status": "OPEN",
            "externalReference": str(body.get("externalReference", "")),
            "workInstructionId": article["workInstructionId"],
            "recordingIds": [],
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        with self.store.tx() as c:
            if c.execute("SELECT 1 FROM documents WHERE kind='product_order' AND id=?", (number,)).fetchone():
                raise MESError(409, "conflict", f"{where} exists already")
            self.store.put(c, "product_order", number, order)
        self.system.control.count_write()
        return JSONResponse(order, status_code=201)

    async def product_order(self, request: Request) -> Response:
        self.auth(request)
        number = request.path_params["number"]
        order = self._found("product_order", number)
        if request.method == "GET":
            return JSONResponse(order)
        changes, where = await self.body(request), f"product order {number}"
        unknown = sorted(set(changes) - set(ORDER_FIELDS))
        if unknown:
            raise _bad(f"{where}: field(s) {', '.join(unknown)} cannot be changed")
        if order["status"] in CLOSING:
            raise MESError(409, "order_closed", f"{where} is {order['status']} and cannot be changed")
        if "status" in changes and changes["status"] not in CLOSING:
            raise _bad(f"{where}: status may only be set to {' or '.join(CLOSING)}, got {changes['status']!r}")
        if order["status"] == "COMPLETED" and set(changes) - {"status"}:
            raise MESError(409, "order_completed", f"{where} is COMPLETED: only closing it is allowed")
        checked = {
            "quantity": lambda v: _quantity(v, "quantity", where),
            "dueDate": lambda v: _due_date(v, where),
            "parameters": lambda v: _mapping(v, "parameters", where),
            "variants": lambda v: _mapping(v, "variants", where),
        }
        order.update({k: checked.get(k, lambda v: v)(v) for k, v in changes.items()}, updatedAt=now_iso())
        with self.store.tx() as c:
            self.store.put(c, "product_order", number, order)
        self.system.control.count_write()
        return JSONResponse(order)

    async def complete(self, request: Request) -> Response:
        """What an operator does at the end of the work instruction: record the result and complete the order."""
        self.auth(request)
        number = request.path_params["number"]
        order, body, where = self._found("product_order", number), await self.body(request), f"product order {number}"
        if order["status"] not in ("OPEN", "IN_PROGRESS"):
            raise MESError(409, "order_not_open", f"{where} is {order['status']}: nothing to complete")
        operator = str(body.get("operator") or "").strip()
        if not operator:
            raise _bad(f"{where}: operator is required")
        good = _quantity(body.get("goodQuantity"), "goodQuantity", where, allow_zero=True)
        scrap = _quantity(body.get("scrapQuantity", 0), "scrapQuantity", where, allow_zero=True)
        finished = now_iso()
        with self.store.tx() as c:
            recording_id = self.store.next_id(c, "recording", "REC-")
            recording = {
                "id": recording_id,
                "productOrderNumber": number,
                "workInstructionId": order["workInstructionId"],
                "articleId": order["articleId"],
                "operator": operator,
                "goodQuantity": good,
                "scrapQuantity": scrap,
                "unit": order["unit"],
                "parameters": _mapping(body.get("parameters", {}), "parameters", where),
                "startedAt": str(body.get("startedAt") or finished),
                "finishedAt": finished,
            }
            self.store.put(c, "recording", recording_id, recording)
            order.update(status="COMPLETED", updatedAt=finished, recordingIds=[*order["recordingIds"], recording_id])
            self.store.put(c, "product_order", number, order)
            delivery_id = self.store.next_id(c, "delivery", "DLV-")
        self.system.control.count_write(2)
        category = self._found("article", order["articleId"])["category"]
        payload = {
            "event": EVENT,
            "productOrderNumber": number,
            "workInstructionId": order["workInstructionId"],
            "recordingId": recording_id,
        }
        fired = self.system.triggers.fire(category, delivery_id, payload)
        return JSONResponse({"recording": recording, "productOrder": order, "triggersFired": fired}, status_code=201)

    # --- recordings and triggers --------------------------------------------------------------------------
    async def recordings(self, request: Request) -> Response:
        self.auth(request)
        return self._listing(self.store.all("recording"), request, {"productOrderNumber": "productOrderNumber"})

    async def recording(self, request: Request) -> Response:
        self.auth(request)
        return JSONResponse(self._found("recording", request.path_params["id"]))

    async def triggers(self, request: Request) -> Response:
        self.auth(request)
        if request.method == "GET":
            public = [{k: v for k, v in t.items() if k != "secret"} for t in self.store.all("trigger")]
            return self._listing(public, request, {"articleCategory": "articleCategory"})
        body = await self.body(request)
        trigger = {
            "articleCategory": str(body.get("articleCategory") or ""),
            "event": body.get("event", EVENT),
            "url": str(body.get("url") or ""),
            "method": str(body.get("method", "POST")).upper(),
            "auth": body.get("auth", "hmac"),
            "secret": str(body.get("secret") or self.system.settings.webhook_secret),
            "active": bool(body.get("active", True)),
        }
        problems = [
            f"{field} {trigger[field]!r} is not one of {allowed}"
            for field, allowed in (("event", (EVENT,)), ("method", METHODS), ("auth", AUTH_MODES))
            if trigger[field] not in allowed
        ]
        if not trigger["articleCategory"] or not trigger["url"].startswith(("http://", "https://")):
            problems.append("articleCategory (or '*') and an http(s) url are required")
        if problems:
            raise _bad("trigger: " + "; ".join(problems))
        with self.store.tx() as c:
            trigger["id"] = self.store.next_id(c, "trigger", "TRG-")
            self.store.put(c, "trigger", trigger["id"], trigger)
        self.system.control.count_write()
        return JSONResponse({k: v for k, v in trigger.items() if k != "secret"}, status_code=201)

    async def trigger(self, request: Request) -> Response:
        self.auth(request)
        trigger_id = request.path_params["id"]
        if request.method == "GET":
            return JSONResponse({k: v for k, v in self._found("trigger", trigger_id).items() if k != "secret"})
        if not self.store.delete("trigger", trigger_id):
            raise MESError(404, "not_found", f"trigger {trigger_id} does not exist")
        self.system.control.count_write()
        return Response(status_code=204)

    def routes(self) -> list[Route]:
        return [
            Route(f"{API}/articles", self.articles, methods=["GET"]),
            Route(f"{API}/articles/{{id}}", self.article, methods=["GET"]),
            Route(f"{API}/work-instructions", self.work_instructions, methods=["GET"]),
            Route(f"{API}/work-instructions/{{id}}", self.work_instruction, methods=["GET"]),
            Route(f"{API}/product-orders", self.product_orders, methods=["GET", "POST"]),
            Route(f"{API}/product-orders/{{number}}", self.product_order, methods=["GET", "PATCH"]),
            Route(f"{API}/product-orders/{{number}}/complete", self.complete, methods=["POST"]),
            Route(f"{API}/recordings", self.recordings, methods=["GET"]),
            Route(f"{API}/recordings/{{id}}", self.recording, methods=["GET"]),
            Route(f"{API}/triggers", self.triggers, methods=["GET", "POST"]),
            Route(f"{API}/triggers/{{id}}", self.trigger, methods=["GET", "DELETE"]),
        ]
