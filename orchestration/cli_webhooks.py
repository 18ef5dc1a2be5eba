"""`mfg-sync webhooks ...`: run the webhook receiver, and point the PLM's subscription at it.

Secrets come from MFG_SYNC_PLM_WEBHOOK_SECRET (whsec_..., several space-separated while rotating; required,
the sandbox PLM's only under MFG_SYNC_PROFILE=sandbox); drops go to the state store of MFG_SYNC_STATE_URL /
MFG_SYNC_DATA_DIR.
Limits: MFG_SYNC_WEBHOOK_READ_TIMEOUT_S, _MAX_CONNECTIONS, _KEEP_ALIVE_S, _MAX_BODY (triggers_config.py).
"""

from __future__ import annotations

import click

from orchestration.triggers_config import TriggerSettingsError, WebhookSettings
from resources.connection_rules import ConfigurationError


@click.group()
def webhooks() -> None:
    """Signed webhook deliveries -> webhook drops in the state store (read by the sensors)."""


@webhooks.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8090, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Serve POST /webhooks/plm (and /webhooks/eam when MFG_SYNC_EAM_WEBHOOK_SECRET is set) and GET /healthz."""
    from orchestration.webhook_server import serve_forever
    from orchestration.webhooks import create_app, receiver_limits

    try:
        settings = WebhookSettings.from_env()
        app = create_app(settings=settings)
    except TriggerSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    limits = receiver_limits(settings)
    routes = ", ".join(f"/webhooks/{s}" for s in ("plm", *(("eam",) if settings.eam_secrets else ())))
    click.echo(
        f"webhook receiver on http://{host}:{port} {routes} (read timeout {limits.read_timeout_s:g} s, "
        f"at most {limits.max_connections} connections)"
    )
    serve_forever(app, limits, host, port)


@webhooks.command()
@click.option("--plm-url", default="http://127.0.0.1:8101", show_default=True, help="PLM base URL.")
@click.option(
    "--receiver-url",
    default="http://127.0.0.1:8090/webhooks/plm",
    show_default=True,
    help="Where the PLM should POST its events.",
)
def subscribe(plm_url: str, receiver_url: str) -> None:
    """Register the PLM webhook subscription for change.effective (once per receiver URL).

    PLM credentials come from MFG_SYNC_PLM_EMAIL / _PASSWORD / _WORKSPACE_ID (the sandbox's under the profile).
    """
    from orchestration.webhooks import subscribe_plm
    from resources.plm.resource import PLMResource

    settings = PLMResource.from_env(url=plm_url)
    try:
        settings.check_configuration()
    except ConfigurationError as exc:
        raise click.ClickException(f"configuration: {exc}") from None
    subscription = subscribe_plm(
        plm_url, receiver_url, email=settings.email, password=settings.password, workspace_id=settings.workspace_id
    )
    click.echo(
        f"PLM subscription {subscription.get('guid')} -> {subscription.get('url')} events={subscription.get('events')}"
    )
