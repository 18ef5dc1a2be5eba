"""Background delivery of signed events to subscribers, retried on a schedule, each attempt recorded.

The PLM's webhooks and the EAM's publish channel both deliver this way; each says how it signs an event
(`signed_headers`) and where it logs an attempt (`record`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

import httpx


class DeliveryWorker:
    """Posts events to subscribers from the app's event loop; the request that caused them never waits.

    An event is tried once, then once after each of `delays()` seconds until a 2xx answer."""

    def __init__(self, delays: Callable[[], Sequence[float]]) -> None:
        self._delays = delays  # read at send time so PUT /_sandbox/settings applies to the next event
        self._tasks: set[asyncio.Task] = set()
        self._client: httpx.AsyncClient | None = None

    def signed_headers(self, sub: dict[str, Any], event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        """The system's id, timestamp and signature headers for one attempt."""
        raise NotImplementedError

    def record(
        self,
        sub: dict[str, Any],
        event_id: str,
        event_type: str,
        attempt: int,
        status: int | None,
        error: str | None,
        ok: bool,
    ) -> None:
        """Log one attempt in the system's delivery log (runs in a worker thread)."""
        raise NotImplementedError

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=5.0)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """The app's Starlette lifespan: deliveries run while it serves and are cancelled when it stops."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def schedule(self, subscriptions: Iterable[dict[str, Any]], event_type: str, event_id: str, body: bytes) -> None:
        """Deliver one event to each subscription in the background."""
        for sub in subscriptions:
            task = asyncio.create_task(self._deliver(sub, event_type, event_id, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no delivery is pending (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self._tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def _deliver(self, sub: dict[str, Any], event_type: str, event_id: str, body: bytes) -> None:
        delays = list(self._delays())
        for attempt in range(1, len(delays) + 2):
            status, error = await self._attempt(sub, event_id, body)
            ok = status is not None and 200 <= status < 300
            await asyncio.to_thread(self.record, sub, event_id, event_type, attempt, status, error, ok)
            if ok or attempt > len(delays):
                return
            await asyncio.sleep(delays[attempt - 1])

    async def _attempt(self, sub: dict[str, Any], event_id: str, body: bytes) -> tuple[int | None, str | None]:
        headers = {"content-type": "application/json", **self.signed_headers(sub, event_id, int(time.time()), body)}
        assert self._client is not None, f"{type(self).__name__} not started"
        try:
            response = await self._client.post(sub["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None if response.is_success else f"HTTP {response.status_code}"
