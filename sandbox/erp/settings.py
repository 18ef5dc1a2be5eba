"""The ERP sandbox's configuration: where it stores, what it seeds, its credentials, lifetimes and limits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ERPSettings:
    db_path: str | None = None  # SQLite file; None = in-memory. A restart on the same file keeps all state.
    profile: str = "demo"  # "demo" or "large"
    seed: int = 7  # same profile + seed => identical data
    client_id: str = "MFG_SYNC_COMM_USER"
    client_secret: str = "sandbox-erp-secret"
    username: str = "MFG_SYNC_API"
    password: str = "sandbox-erp-password"
    token_lifetime_s: float = 3600.0  # SAP's default access token lifetime is 12 h; an hour keeps refresh paths honest
    csrf_lifetime_s: float = 1800.0  # SAP ties the token to the session (30 min idle timeout)
    page_size: int = 100  # server-driven paging: entries per response before __next
    rate_limit: int | None = 1200  # requests per window, as an API gateway in front of S/4HANA enforces
    rate_window_s: float = 60.0
    large_params: dict[str, int] = field(default_factory=dict)  # assemblies/depth/breadth for profile "large"

    def catalog_params(self) -> dict[str, int]:
        return dict(self.large_params) if self.profile == "large" else {}
