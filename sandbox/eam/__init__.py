"""The sandbox EAM: a local stand-in for IBM Maximo's REST/JSON API (Manage 7.6.1 / MAS shapes), seeded
from `sandbox.catalog`.

`create_app(EAMSettings(...))` returns the ASGI app (faults, stats and `/_sandbox/*` included);
`connection_facts(settings, base_url)` is the EAM block of sandbox.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from sandbox.control import ControlledApp, Faults, SandboxControl
from sandbox.eam.app import EAMRoutes, http_error, maximo_error, server_error
from sandbox.eam.errors import MaximoError, error_response
from sandbox.eam.publish import DEFAULT_PUBLISH_SECRET, Publisher
from sandbox.eam.seed import SITE, seed_store
from sandbox.eam.store import EAMStore

__all__ = ["EAMSettings", "EAMSystem", "create_app", "connection_facts"]


@dataclass
class EAMSettings:
    db_path: str | None = None  # SQLite file; None = in-memory. A restart on the same file keeps all data.
    profile: str = "demo"  # "demo" (60 work orders) or "large"
    seed: int = 7  # same profile + seed => identical data
    large_params: dict[str, int] = field(default_factory=dict)  # workorders (large only; default 20,000)
    apikey: str = "sandbox-eam-apikey"  # the `apikey` header of /maximo/api
    username: str = "mxintadm"  # maxauth login of /maximo/oslc
    password: str = "sandbox"
    siteid: str = SITE
    storeroom: str = "CENTRAL"  # default storeroom of planned materials and issues
    publish_secret: str = DEFAULT_PUBLISH_SECRET  # HMAC key of the publish channel; subscriptions' default
    publish_retry_delays_s: tuple[float, ...] = (1.0, 4.0, 16.0, 60.0)  # waits between attempts (len + 1 attempts)
    transaction_lifetime_s: float = 300.0  # Maximo's OSLCTXN escalation keeps transaction ids five minutes
    rate_limit: int | None = None  # requests per rate_window_s, then 429 (None = unlimited)
    rate_window_s: float = 60.0


class EAMSystem:
    """One running EAM: settings, store, control and publisher (hung on the app as `.sandbox`)."""

    def __init__(self, settings: EAMSettings) -> None:
        if not settings.publish_secret:
            raise ValueError("EAMSettings.publish_secret must not be empty")
        self.settings = settings
        self.store = EAMStore(settings.db_path)
        if self.store.is_empty():
            self.reseed({})
        self.control = SandboxControl(
            "eam",
            error_response=error_response,
            on_reset=self.reseed,
            summary=self.summary,
            settings=self._setters(),
            default_faults=Faults(rate_limit=settings.rate_limit, rate_window_s=settings.rate_window_s),
        )
        self.publisher = Publisher(self.store, lambda: self.settings.publish_retry_delays_s)

    def reseed(self, body: dict[str, Any]) -> None:
        profile = body.get("profile", self.settings.profile)
        seed = int(body.get("seed", self.settings.seed))
        params = body.get("params", self.settings.large_params if profile == "large" else {})
        unknown = sorted(set(params) - {"workorders"})
        if unknown:
            raise ValueError(f"EAM large params: unknown {unknown}; known: ['workorders']")
        seed_store(self.store, profile, seed, params.get("workorders"))

    def summary(self) -> dict[str, Any]:
        def count(sql: str) -> int:
            return self.store.query(sql)[0][0]

        return {
            "profile": self.store.meta("profile"),
            "seed": int(self.store.meta("seed") or 0),
            "storerooms": (self.store.meta("storerooms") or "").split(","),
            "workorders": self.store.count("workorder"),
            "workorders_by_status": {
                r[0]: r[1]
                for r in self.store.query(
                    "SELECT json_extract(data, '$.status'), COUNT(*) FROM records WHERE kind = 'workorder' "
                    "GROUP BY 1 ORDER BY 1"
                )
            },
            "planned_materials": self.store.count("wpmaterial"),
            "reservations": self.store.count("invreserve"),
            "material_transactions": self.store.count("matusetrans"),
            "inventory_balances": self.store.count("invbalance"),
            "assets": self.store.count("asset"),
            "items": self.store.count("item"),
            "max_rowstamp": self.store.max_rowstamp(),
            "publish_subscriptions": count("SELECT COUNT(*) FROM subscriptions"),
            "publish_deliveries": count("SELECT COUNT(*) FROM deliveries"),
        }

    def _setters(self) -> dict[str, Any]:
        s = self.settings
        return {
            "publish_retry_delays_s": lambda v: setattr(s, "publish_retry_delays_s", tuple(float(x) for x in v)),
            "transaction_lifetime_s": lambda v: setattr(s, "transaction_lifetime_s", float(v)),
        }


def create_app(settings: EAMSettings) -> ControlledApp:
    """The EAM sandbox as an ASGI app; `app.sandbox` is its EAMSystem."""
    system = EAMSystem(settings)

    app = Starlette(
        routes=[*EAMRoutes(system).routes(), *system.control.routes()],
        lifespan=system.publisher.lifespan,
        exception_handlers={MaximoError: maximo_error, HTTPException: http_error, Exception: server_error},
    )
    wrapped = system.control.wrap(app)
    wrapped.sandbox = system
    return wrapped


def connection_facts(settings: EAMSettings, base_url: str) -> dict[str, Any]:
    """The EAM block of sandbox.json: where it answers and the sandbox credentials."""
    return {
        "base_url": base_url,
        "apikey": settings.apikey,
        "username": settings.username,
        "password": settings.password,
        "siteid": settings.siteid,
        "publish_secret": settings.publish_secret,
    }
