"""`mfg-sync events serve | status`: the condition-event listener and what became of each event."""

from __future__ import annotations

import logging
import signal

import click

from resources.state import StateStore


@click.group()
def events() -> None:
    """Condition events (MQTT): listen, and see what each event led to."""


@events.command("serve")
@click.option("--topic", "topics", multiple=True, help="Topic filter (repeatable); default MFG_SYNC_MQTT_TOPICS.")
@click.option("--client-id", default=None, help="MQTT client id of the persistent session (MFG_SYNC_MQTT_CLIENT_ID).")
def serve(topics: tuple[str, ...], client_id: str | None) -> None:
    """Subscribe (QoS 1, persistent session) and drop every event once in the state store, until Ctrl-C."""
    from orchestration.condition_ingest import ConditionListener, MqttSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = MqttSettings.from_env(topics=tuple(topics), client_id=client_id)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    store = StateStore.from_env()
    listener = ConditionListener(settings, store)
    signal.signal(signal.SIGTERM, lambda *_: listener.stop())
    click.echo(f"listening on {settings.host}:{settings.port} for {', '.join(settings.topics)} ({settings.client_id})")
    try:
        listener.run()
    except KeyboardInterrupt:
        listener.stop()
    except OSError as err:
        raise click.ClickException(f"cannot reach the MQTT broker at {settings.host}:{settings.port}: {err}") from None
    finally:
        c = listener.counts
        click.echo(
            f"received {c['received']}: stored {c['stored']}, duplicates {c['duplicates']}, rejected {c['rejected']}"
        )
        store.dispose()


@events.command("status")
@click.option("--asset", default=None, help="Only this asset's events.")
@click.option("--limit", default=50, show_default=True, help="The latest N events.")
def status(asset: str | None, limit: int) -> None:
    """One line per event: what happened (work request, debounced, reserved, requisitioned, rejected, ...)."""
    from resources.state import condition_events

    store = StateStore.from_env()
    try:
        rows = condition_events.status_rows(store, asset)
        source = condition_events.DROP_SOURCE
        pending = store.webhook_drops_after(0, source=source, limit=1_000_000, unprocessed_only=True)
    finally:
        store.dispose()
    for row in rows[-limit:]:
        click.echo(format_status(row))
    click.echo(f"{len(rows)} event(s); {len(pending)} waiting for the next condition_sync run")


def format_status(row: dict) -> str:
    what = row.get("status", "?")
    facts = [
        f"WO {row['work_order']}" if row.get("work_order") else "",
        f"reservation {row['reservation']}" if row.get("reservation") else "",
    ]
    facts.append(f"PR {row['requisition']}" if row.get("requisition") else "")
    value = f"{row.get('measurement', '')} {row.get('value', '')} {row.get('unit', '')}".strip()
    detail = ", ".join(f for f in facts if f)
    reason = f" ({row['reason']})" if row.get("reason") else ""
    return f"{row['event_id']:<38} {row.get('asset', '?'):<8} {value:<32} {what:<14} {detail}{reason}"
