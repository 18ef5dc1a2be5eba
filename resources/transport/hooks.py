"""The request-hook protocol, and the narrow view of a client that a hook may use.

Auth strategies (auth.py) and system-specific hooks (e.g. SAP's CSRF) are written against `HookClient`,
not against `ApiClient`: so auth.py and client.py both import this module and never each other.

A hook sees every request twice: `before_send(client, request)` may add headers (the auth strategy runs
first, then the client's extra hooks in order); `after_response(client, request, response) -> bool` may
renew something and ask for ONE resend of the same request (the client allows each hook one resend per
call, so a second 401 becomes an `AuthError`). `close(client)` runs when the client closes (logout).
Hooks are shared by all threads of a client and must be thread-safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import httpx

from .errors import ErrorParser
from .metrics import TransportMetrics
from .policy import TransportPolicy


@runtime_checkable
class HookClient(Protocol):
    """What a hook may see and do of the client it serves (`ApiClient` is the one implementation)."""

    system: str
    policy: TransportPolicy
    metrics: TransportMetrics
    http: httpx.Client
    error_parser: ErrorParser
    auth: RequestHook

    def send_once(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        route: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response: ...

    def current_correlation_id(self) -> str: ...


@runtime_checkable
class RequestHook(Protocol):
    """Sees each request before it is sent and each response before the client judges it."""

    def before_send(self, client: HookClient, request: httpx.Request) -> None: ...

    def after_response(self, client: HookClient, request: httpx.Request, response: httpx.Response) -> bool: ...

    def close(self, client: HookClient) -> None: ...


class HookBase:
    """No-op implementation of `RequestHook` to subclass."""

    def before_send(self, client: HookClient, request: httpx.Request) -> None:
        return None

    def after_response(self, client: HookClient, request: httpx.Request, response: httpx.Response) -> bool:
        return False

    def close(self, client: HookClient) -> None:
        return None
