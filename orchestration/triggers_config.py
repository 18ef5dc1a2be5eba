"""Settings of the webhook receiver from the environment (read at call time, never at import).

Env vars (defaults in brackets):
  MFG_SYNC_PLM_WEBHOOK_SECRET [required; the sandbox PLM's under MFG_SYNC_PROFILE=sandbox]
                                          Standard Webhooks `whsec_...`; several space-separated while rotating
  MFG_SYNC_EAM_WEBHOOK_SECRET [unset: no /webhooks/eam route; the sandbox EAM's under the sandbox profile]
                                          the EAM publish channel's HMAC key(s), space-separated while rotating
  MFG_SYNC_WEBHOOK_MAX_BODY [1048576]     bytes accepted per webhook body
  MFG_SYNC_WEBHOOK_TOLERANCE_S [300]      allowed clock skew of `webhook-timestamp`
  MFG_SYNC_WEBHOOK_READ_TIMEOUT_S [10]    seconds a client gets to send a request's head, and again its body
  MFG_SYNC_WEBHOOK_MAX_CONNECTIONS [100]  open connections at once; beyond, 503
  MFG_SYNC_WEBHOOK_KEEP_ALIVE_S [5]       an idle kept-alive connection is closed after this
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

from resources.connection_rules import PUBLISHED_SANDBOX_SECRETS, ConfigurationError, published_secret_problem
from resources.sandbox_profile import PUBLISHED_DEFAULTS, sandbox_profile_active
from resources.trigger_settings import TriggerSettingsError, env_number, env_of

# The sandbox PLM's published default key (sandbox/plm/webhooks.py): no secret, only the sandbox profile's.
SANDBOX_PLM_WEBHOOK_SECRET = PUBLISHED_SANDBOX_SECRETS["MFG_SYNC_PLM_WEBHOOK_SECRET"]
PLM_URL_ENV = "MFG_SYNC_PLM_URL"
EAM_SECRET_ENV, EAM_URL_ENV = "MFG_SYNC_EAM_WEBHOOK_SECRET", "MFG_SYNC_EAM_URL"


def webhook_secrets(env: Mapping[str, str] | None = None, name: str = "MFG_SYNC_PLM_WEBHOOK_SECRET") -> list[bytes]:
    """HMAC keys of the `whsec_<base64>` secrets in `name` (space-separated during rotation).

    Unset is an error outside the sandbox profile; the sandbox's published key is refused unless the PLM
    (MFG_SYNC_PLM_URL) is a loopback sandbox."""
    e = env_of(env)
    try:
        profile = sandbox_profile_active(e)
    except ConfigurationError as exc:
        raise TriggerSettingsError(str(exc)) from None
    raw = e.get(name, "").split()
    if not raw and not profile:
        raise TriggerSettingsError(f"{name} is not set (needed to verify the PLM's webhooks)")
    raw = raw or [SANDBOX_PLM_WEBHOOK_SECRET]
    keys = []
    for position, secret in enumerate(raw, start=1):
        if not secret.startswith("whsec_"):
            raise TriggerSettingsError(f"{name}: secret #{position} must look like whsec_<base64>")
        try:
            keys.append(base64.b64decode(secret.removeprefix("whsec_"), validate=True))
        except ValueError:
            raise TriggerSettingsError(f"{name}: secret #{position} is not valid base64 after whsec_") from None
    plm_url = e.get(PLM_URL_ENV, "").strip() or (PUBLISHED_DEFAULTS[PLM_URL_ENV] if profile else None)
    refused = published_secret_problem("plm", plm_url, name, " ".join(raw))
    if refused:
        raise TriggerSettingsError(refused)
    return keys


def eam_webhook_secrets(env: Mapping[str, str] | None = None) -> tuple[bytes, ...]:
    """HMAC keys of the EAM publish channel (MFG_SYNC_EAM_WEBHOOK_SECRET, space-separated while rotating).

    Unset outside the sandbox profile: no keys, so the receiver serves no EAM route. The sandbox's published
    key is refused unless the EAM (MFG_SYNC_EAM_URL) is a loopback sandbox."""
    e = env_of(env)
    try:
        profile = sandbox_profile_active(e)
    except ConfigurationError as exc:
        raise TriggerSettingsError(str(exc)) from None
    raw = e.get(EAM_SECRET_ENV, "").split() or ([PUBLISHED_SANDBOX_SECRETS[EAM_SECRET_ENV]] if profile else [])
    eam_url = e.get(EAM_URL_ENV, "").strip() or (PUBLISHED_DEFAULTS[EAM_URL_ENV] if profile else None)
    refused = published_secret_problem("eam", eam_url, EAM_SECRET_ENV, " ".join(raw)) if raw else None
    if refused:
        raise TriggerSettingsError(refused)
    return tuple(secret.encode() for secret in raw)


@dataclass(frozen=True)
class WebhookSettings:
    """What the receiver accepts."""

    plm_secrets: list[bytes]
    max_body_bytes: int = 1024 * 1024
    tolerance_s: int = 300
    read_timeout_s: float = 10.0
    max_connections: int = 100
    keep_alive_s: float = 5.0
    eam_secrets: tuple[bytes, ...] = ()  # empty: the receiver has no /webhooks/eam route

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        e = env_of(env)
        return cls(
            plm_secrets=webhook_secrets(e),
            max_body_bytes=int(env_number(e, "MFG_SYNC_WEBHOOK_MAX_BODY", 1024 * 1024)),
            tolerance_s=int(env_number(e, "MFG_SYNC_WEBHOOK_TOLERANCE_S", 300)),
            read_timeout_s=_positive(e, "MFG_SYNC_WEBHOOK_READ_TIMEOUT_S", 10.0),
            max_connections=int(_positive(e, "MFG_SYNC_WEBHOOK_MAX_CONNECTIONS", 100)),
            keep_alive_s=_positive(e, "MFG_SYNC_WEBHOOK_KEEP_ALIVE_S", 5.0),
            eam_secrets=eam_webhook_secrets(e),
        )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    """A receiver limit: 0 would mean "no time at all" or "no connection", never what anyone wants."""
    number = env_number(env, name, default)
    if number == 0:
        raise TriggerSettingsError(f"{name}: must be > 0")
    return number
