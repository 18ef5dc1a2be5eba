"""The ERP sandbox's state in one object: store, security, settings, clock and the fault control."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.erp.edm import now_us
from sandbox.erp.security import Security
from sandbox.erp.settings import ERPSettings
from sandbox.erp.store import ERPStore

if TYPE_CHECKING:
    from sandbox.control import SandboxControl

UNIT_SET = "_Unit"
PLANT_SET = "_Plant"


class ERPSystem:
    """What the handlers share; `summary_counts` (set by the app from the registry) feeds `summary()`."""

    def __init__(self, settings: ERPSettings, store: ERPStore, security: Security) -> None:
        self.settings = settings
        self.store = store
        self.security = security
        self.page_size = settings.page_size
        self.control: SandboxControl | None = None
        self.summary_counts: dict[str, Callable[[ERPStore], int]] = {}
        self._last_us = 0
        self._clock_lock = threading.Lock()

    def now(self) -> int:
        """Strictly increasing microseconds, so every change gets a new LastChangeDateTime and etag."""
        with self._clock_lock:
            self._last_us = max(now_us(), self._last_us + 1)
            return self._last_us

    def unit_known(self, unit: str) -> bool:
        return self.store.get(UNIT_SET, unit) is not None

    def plant_known(self, plant: str) -> bool:
        return self.store.get(PLANT_SET, plant) is not None

    def summary(self) -> dict[str, Any]:
        return {name: count(self.store) for name, count in self.summary_counts.items()}
