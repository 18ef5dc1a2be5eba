"""What a sender of webhooks is to the receiver: how its deliveries are verified and which event shapes it
may send (`Source`), and the refusal every check raises (`Rejected`). Each source lives in its own module
(webhooks.py for the PLM, webhooks_eam.py for the EAM); the receiver mounts one route per source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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
