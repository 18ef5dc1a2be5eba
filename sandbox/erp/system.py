"""The ERP sandbox's state in one object: store, security, settings, clock and the fault control."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sandbox.erp.edm import now_us
from sandbox.erp.security import Security
from sandbox.erp.store import ErpStore

if TYPE_CHECKING:
    from sandbox.control import SandboxControl
    from sandbox.erp import ErpSettings
    from sandbox.erp.http import Call, Handler, Reply

UNIT_SET = "_Unit"
PLANT_SET = "_Plant"


class ErpSystem:
    """What the handlers share. `execute` runs one handler in one transaction and counts its writes."""

    def __init__(self, settings: ErpSettings, store: ErpStore, security: Security) -> None:
        self.settings = settings
        self.store = store
        self.security = security
        self.page_size = settings.page_size
        self.control: SandboxControl | None = None
        self._last_us = 0
        self._clock_lock = threading.Lock()

    def execute(self, handler: Handler, call: Call) -> Reply:
        with self.store.transaction():
            reply = handler(self, call)
        if reply.writes and self.control is not None:
            self.control.count_write(reply.writes)
        return reply

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
        from sandbox.erp.boms import BOM, ITEM
        from sandbox.erp.products import DESCRIPTION, PLANT, PRODUCT

        boms = self.store.all(BOM.set_name)
        return {
            "products": self.store.count(PRODUCT.set_name),
            "product_descriptions": self.store.count(DESCRIPTION.set_name),
            "product_plants": self.store.count(PLANT.set_name),
            "boms": len(boms),
            "released_boms": sum(1 for b in boms if b.get("BOMVersionStatus") in ("", "20")),
            "bom_items": self.store.count(ITEM.set_name),
            "plants": self.store.count(PLANT_SET),
            "units": self.store.count(UNIT_SET),
        }
