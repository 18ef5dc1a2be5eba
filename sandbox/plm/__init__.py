"""The sandbox PLM: a local stand-in for Arena PLM's REST API v1, seeded from `sandbox.catalog`.

`create_app(PLMSettings(...))` returns the ASGI app (faults, stats and `/_sandbox/*` included);
`connection_facts(settings, base_url)` is the PLM block of sandbox.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from sandbox.control import ControlledApp, Faults, SandboxControl
from sandbox.plm.app import PLMRoutes, api_error, http_error, server_error
from sandbox.plm.errors import ApiError, error_response, rate_limit_headers
from sandbox.plm.seed import seed_store
from sandbox.plm.sessions import expire_sessions
from sandbox.plm.store import PLMStore
from sandbox.plm.webhooks import DEFAULT_WEBHOOK_SECRET, WebhookDispatcher, secret_key

__all__ = ["PLMSettings", "PLMSystem", "create_app", "connection_facts"]


@dataclass
class PLMSettings:
    db_path: str | None = None  # SQLite file; None = in-memory. A restart on the same file keeps all state.
    profile: str = "demo"  # "demo" or "large"
    seed: int = 7  # same profile + seed => identical data
    large_params: dict[str, int] = field(default_factory=dict)  # assemblies, depth, breadth, width (large only)
    email: str = "engineer@sandbox.example"
    password: str = "sandbox"
    workspace_id: int = 100001
    workspace_name: str = "mfg-sync Sandbox Works"
    session_lifetime_s: float = 5400.0  # Arena: a session times out 90 minutes after its last action
    single_session_per_user: bool = False  # Arena cancels a user's earlier session on a new login; opt in
    rate_limit: int | None = 600  # requests per rate_window_s, then 429 (None = unlimited)
    rate_window_s: float = 60.0
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET  # Standard Webhooks whsec_<base64>; subscriptions' default
    webhook_retry_delays_s: tuple[float, ...] = (1.0, 4.0, 16.0, 60.0)  # waits between attempts (len + 1 attempts)


class PLMSystem:
    """One running PLM: settings, store, control and webhook dispatcher (hung on the app as `.sandbox`)."""

    def __init__(self, settings: PLMSettings) -> None:
        secret_key(settings.webhook_secret)  # fail at start, naming the setting, not at the first event
        self.settings = settings
        self.store = PLMStore(settings.db_path)
        if self.store.is_empty():
            self.reseed({})
        self.control = SandboxControl(
            "plm",
            error_response=error_response,
            rate_limit_headers=rate_limit_headers,
            on_reset=self.reseed,
            summary=self.summary,
            settings=self._setters(),
            expiries={"sessions": lambda: expire_sessions(self.store)},
            default_faults=Faults(rate_limit=settings.rate_limit, rate_window_s=settings.rate_window_s),
        )
        self.webhooks = WebhookDispatcher(self.store, lambda: self.settings.webhook_retry_delays_s, lambda: None)

    def reseed(self, body: dict[str, Any]) -> None:
        profile = body.get("profile", self.settings.profile)
        seed = int(body.get("seed", self.settings.seed))
        params = body.get("params", self.settings.large_params if profile == "large" else {})
        seed_store(self.store, profile, seed, **params)

    def summary(self) -> dict[str, Any]:
        def count(sql: str) -> int:
            return self.store.one(sql)[0]

        return {
            "profile": self.store.meta("profile"),
            "seed": int(self.store.meta("seed") or 0),
            "items": count("SELECT COUNT(*) FROM items"),
            "assemblies": count(
                "SELECT COUNT(DISTINCT r.item_id) FROM revisions r JOIN bom_lines l "
                "ON l.revision_guid = r.guid WHERE r.status = 1"
            ),
            "effective_bom_lines": count(
                "SELECT COUNT(*) FROM bom_lines l JOIN revisions r ON r.guid = l.revision_guid WHERE r.status = 1"
            ),
            "changes": count("SELECT COUNT(*) FROM changes"),
            "open_changes": count("SELECT COUNT(*) FROM changes WHERE status LIKE 'OPEN%'"),
            "webhook_subscriptions": count("SELECT COUNT(*) FROM subscriptions"),
            "webhook_deliveries": count("SELECT COUNT(*) FROM deliveries"),
        }

    def _setters(self) -> dict[str, Any]:
        s = self.settings

        def setter(name: str, convert):
            return lambda value: setattr(s, name, convert(value))

        return {
            "session_lifetime_s": setter("session_lifetime_s", float),
            "single_session_per_user": setter("single_session_per_user", bool),
            "webhook_retry_delays_s": setter("webhook_retry_delays_s", lambda v: tuple(float(x) for x in v)),
        }


def create_app(settings: PLMSettings) -> ControlledApp:
    """The PLM sandbox as an ASGI app; `app.sandbox` is its PLMSystem."""
    system = PLMSystem(settings)

    app = Starlette(
        routes=[*PLMRoutes(system).routes(), *system.control.routes()],
        lifespan=system.webhooks.lifespan,
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: server_error},
    )
    wrapped = system.control.wrap(app)
    wrapped.sandbox = system
    return wrapped


def connection_facts(settings: PLMSettings, base_url: str) -> dict[str, Any]:
    """The PLM block of sandbox.json: where it answers and the sandbox credentials."""
    per_second = settings.rate_limit / settings.rate_window_s if settings.rate_limit else None
    return {
        "base_url": base_url,
        "email": settings.email,
        "password": settings.password,
        "workspace_id": settings.workspace_id,
        "webhook_secret": settings.webhook_secret,
        "requests_per_s": per_second,
    }
