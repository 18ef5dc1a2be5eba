"""Cheap bounds the receiver checks before it trusts a delivery: header sizes and JSON nesting depth.

They run before the signature check and the JSON parser, so an oversized header or a body nested
100,000 deep costs a scan, never a RecursionError, a reset connection or a 255-character column overrun.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_JSON_DEPTH = 64
MAX_WEBHOOK_ID_LENGTH = 255  # the drop table's event_id column
MAX_TIMESTAMP_LENGTH = 20
MAX_SIGNATURE_HEADER_LENGTH = 2048  # room for several `v1,<base64>` signatures while secrets rotate
MAX_HEADER_BYTES = 8192  # all headers together; h11 cuts the connection at 16 KiB before the app sees them
_PRINTABLE_ID = re.compile(r"[\x21-\x7e]+")
# JSON strings may hold brackets: drop them (escapes included) before counting nesting
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class LimitExceeded(Exception):
    """A bound a delivery broke: the HTTP status to answer and the reason to log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def json_depth_over(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> int | None:
    """The nesting depth first seen above `max_depth` (stops scanning there), or None when within it."""
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        if bracket[0] in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return depth
        else:
            depth -= 1
    return None


def check_json_depth(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """`LimitExceeded(400)` when the body nests deeper than `max_depth`."""
    if json_depth_over(body, max_depth) is not None:
        raise LimitExceeded(400, f"JSON nested deeper than {max_depth} levels")


def check_headers(headers: Iterable[tuple[bytes, bytes]], max_header_bytes: int = MAX_HEADER_BYTES) -> None:
    """`LimitExceeded` 400 for an oversized or unprintable webhook header (the more precise reason, so first),
    431 for oversized headers in total."""
    pairs = list(headers)
    values = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in pairs}
    for name, limit in (
        ("webhook-id", MAX_WEBHOOK_ID_LENGTH),
        ("webhook-timestamp", MAX_TIMESTAMP_LENGTH),
        ("webhook-signature", MAX_SIGNATURE_HEADER_LENGTH),
    ):
        value = values.get(name, "")
        if len(value) > limit:
            raise LimitExceeded(400, f"header {name} is {len(value)} characters long (at most {limit})")
    webhook_id = values.get("webhook-id", "")
    if webhook_id and not _PRINTABLE_ID.fullmatch(webhook_id):
        raise LimitExceeded(400, "header webhook-id must be printable ASCII without spaces")
    total = sum(len(name) + len(value) for name, value in pairs)
    if total > max_header_bytes:
        raise LimitExceeded(431, f"request headers of {total} bytes are over the {max_header_bytes}-byte limit")
