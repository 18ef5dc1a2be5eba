"""`SystemClient`: what every outside system's client does with its `ApiClient`, whatever it reads or writes."""

from __future__ import annotations

from typing import Self

from .client import ApiClient
from .metrics import TransportMetrics


class SystemClient:
    """Holds the system's `ApiClient`; counts its calls, closes it, and closes it on leaving a `with`."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    @property
    def metrics(self) -> TransportMetrics:
        """The transport's call metrics (`.snapshot()` gives plain numbers)."""
        return self.api.metrics

    def close(self) -> None:
        """Log out (where the system has sessions or tokens) and close the connection pool."""
        self.api.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
