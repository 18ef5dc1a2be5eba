"""The sandbox MES: a local stand-in for Azumuta's REST API (work instructions on the shop floor).

`create_app(MESSettings(...))` returns the ASGI app (faults, stats and `/_sandbox/*` included);
`connection_facts(settings, base_url)` is the MES block of sandbox.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from sandbox.control import ControlledApp, Faults, SandboxControl
from sandbox.mes.app import STATUSES, MESError, MESRoutes, error_response, mes_error
from sandbox.mes.seed import seed_store
from sandbox.mes.store import MESStore
from sandbox.mes.triggers import DEFAULT_WEBHOOK_SECRET, TriggerWorker

__all__ = ["MESSettings", "MESSystem", "create_app", "connection_facts"]


@dataclass
class MESSettings:
    db_path: str | None = None  # SQLite file; None = in-memory
    profile: str = "demo"
    seed: int = 7
    api_key: str = "sandbox-mes-api-key"  # the X-API-Key header of /api/v1
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET  # a trigger's default secret (HMAC key or shared secret)
    trigger_retry_delays_s: tuple[float, ...] = (1.0, 5.0, 30.0)  # waits between attempts (len + 1 attempts)
    rate_limit: int | None = None
    rate_window_s: float = 60.0


class MESSystem:
    """One running MES: settings, store, control and trigger worker (hung on the app as `.sandbox`)."""

    def __init__(self, settings: MESSettings) -> None:
        self.settings = settings
        self.store = MESStore(settings.db_path)
        if self.store.is_empty():
            self.reseed({})
        self.control = SandboxControl(
            "mes",
            error_response=lambda status, message: error_response(status, message, "sandbox_fault"),
            on_reset=self.reseed,
            summary=self.summary,
            settings={
                "trigger_retry_delays_s": lambda v: setattr(
                    settings, "trigger_retry_delays_s", tuple(float(x) for x in v)
                )
            },
            default_faults=Faults(rate_limit=settings.rate_limit, rate_window_s=settings.rate_window_s),
        )
        self.triggers = TriggerWorker(self.store, lambda: self.settings.trigger_retry_delays_s)

    def reseed(self, body: dict[str, Any]) -> None:
        seed_store(self.store, body.get("profile", self.settings.profile), int(body.get("seed", self.settings.seed)))

    def summary(self) -> dict[str, Any]:
        orders = self.store.all("product_order")
        return {
            "profile": self.store.meta("profile"),
            "articles": self.store.count("article"),
            "work_instructions": self.store.count("work_instruction"),
            "product_orders": {s: n for s in STATUSES if (n := sum(o["status"] == s for o in orders))},
            "recordings": self.store.count("recording"),
            "triggers": self.store.count("trigger"),
            "trigger_deliveries": self.store.query("SELECT COUNT(*) FROM deliveries")[0][0],
        }


def create_app(settings: MESSettings) -> ControlledApp:
    system = MESSystem(settings)
    app = Starlette(
        routes=[*MESRoutes(system).routes(), *system.control.routes()],
        lifespan=system.triggers.lifespan,
        exception_handlers={MESError: mes_error},
    )
    wrapped = system.control.wrap(app)
    wrapped.sandbox = system
    return wrapped


def connection_facts(settings: MESSettings, base_url: str) -> dict[str, Any]:
    return {"base_url": base_url, "api_key": settings.api_key, "webhook_secret": settings.webhook_secret}
