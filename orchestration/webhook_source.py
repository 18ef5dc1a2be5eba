"""What a sender of webhooks is to the receiver: how its deliveries are verified and which event shapes it
may send (`Source`), the refusal every check raises (`Rejected`), and the checks every route shares (body
size and time, JSON depth, timestamp freshness). Each source lives in its own module (webhooks.py for the
PLM, webhooks_eam.py for the EAM, webhooks_mes.py, webhooks_condition.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from orchestration.webhook_limits import LimitExceeded, check_json_depth


class Rejected(Exception):
    """A delivery refused with an HTTP status and a reason for the log (never a secret)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Source:
    """One sender: how its deliveries are verified and what event shapes it may send."""

    name: str
    verify: Callable[[Any, bytes], str]  # (headers, raw body) -> event id, or raise Rejected
    check_event: Callable[[Any], str]  # parsed JSON -> event type, or raise Rejected


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) a declared or actual size over `limit` without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Rejected(400, f"content-length {declared!r} is not a number")
        if int(declared) > limit:
            raise Rejected(413, f"body of {declared} bytes is over the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a chunked body, or one that lies about its length
            raise Rejected(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The raw body within `timeout_s` (a body trickled in slower than that is refused with 408)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await _read_body(request, limit)
    except TimeoutError:
        raise Rejected(408, f"body not received within {timeout_s:g} s") from None


def parse_json(body: bytes, label: str) -> Any:
    """The JSON of a verified body, its nesting bounded before the parser sees it; `label` names the delivery
    in the refusal (e.g. "webhook-id X")."""
    try:
        check_json_depth(body)
        return json.loads(body)
    except LimitExceeded as exc:
        raise Rejected(exc.status, f"{exc.reason} ({label})") from None
    except (ValueError, RecursionError) as exc:
        raise Rejected(400, f"malformed JSON ({label}): {exc}") from None


def check_fresh(header: str, timestamp: str, tolerance_s: int, label: str, now: float | None = None) -> None:
    """A signed timestamp (epoch seconds, in `header`) within `tolerance_s` of now: an old delivery replayed
    by someone who captured it is refused with 400."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Rejected(400, f"{header} {timestamp!r} is not epoch seconds") from None
    skew = (time.time() if now is None else now) - sent_at
    if abs(skew) > tolerance_s:
        raise Rejected(400, f"stale timestamp: {int(skew)} s off, tolerance {tolerance_s} s ({label})")
