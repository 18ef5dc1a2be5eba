"""What every PLM route needs: the session check, a JSON object body, Arena's paging, a page, counted writes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.plm.errors import BAD_FORMAT, ApiError
from sandbox.plm.sessions import touch_session

DEFAULT_LIMIT, MAX_LIMIT = 20, 400


class RouteBase:
    """Handlers bound to one PLM system (its store, settings, control and webhook dispatcher)."""

    def __init__(self, system: Any) -> None:
        self.system = system
        self.store = system.store

    def base_url(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def auth(self, request: Request) -> None:
        await asyncio.to_thread(
            touch_session,
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
