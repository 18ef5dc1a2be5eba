"""`mfg-sync state ...`: migrate the sync-state store and look into it.

The store comes from `MFG_SYNC_STATE_URL` (and `MFG_SYNC_STATE_SCHEMA`), else the SQLite file under
`MFG_SYNC_DATA_DIR`. URLs are shown with the password masked. A store that cannot be reached is one line
naming the URL and the cause, exit code 2 (not a traceback).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import click
from sqlalchemy.exc import InterfaceError, OperationalError

from resources.state import StateStore, StateStoreError
from resources.state.incidents import Incident, group_incidents


class StateStoreUnreachable(click.ClickException):
    """The store's database did not answer (refused, unknown host, bad credentials, unopenable file)."""

    exit_code = 2


def _store() -> StateStore:
    try:
        return StateStore.from_env()
    except StateStoreError as exc:
        raise click.ClickException(str(exc)) from None


def _cause(exc: OperationalError | InterfaceError, store: StateStore) -> str:
    """The driver's own first line, with the password masked should the driver ever echo it."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    password = store.engine.url.password
    return first.replace(password, "***") if password else first


@contextmanager
def _opened() -> Iterator[StateStore]:
    """The environment's store, disposed afterwards; an unreachable database becomes `StateStoreUnreachable`."""
    store = _store()
    try:
        yield store
    except (OperationalError, InterfaceError) as exc:
        raise StateStoreUnreachable(f"state store {store.safe_url} is unreachable: {_cause(exc, store)}") from None
    finally:
        store.dispose()


def _emit(rows: list[Any], as_json: bool, line: Any) -> None:
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], default=str, indent=2))
        return
    for row in rows:
        click.echo(line(row))


@click.group()
def state() -> None:
    """The sync-state store: ID map, record state, audit, dead letters, webhook drops, conflicts."""


@state.command()
def upgrade() -> None:
    """Apply pending schema migrations (safe to repeat, safe from two processes at once)."""
    with _opened() as store:
        before = store.current_revision()
        after = store.upgrade()
    change = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    click.echo(f"state store {store.safe_url}: {change} revision {after}")


@state.command("dead-letters")
@click.option("--flow", default=None, help="Only this flow.")
@click.option("--records", is_flag=True, help="One line per record instead of one per incident.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def dead_letters(flow: str | None, records: bool, as_json: bool) -> None:
    """Open (and retrying) dead letters, oldest first: one line per incident (the records one failure took
    down together), or per record with --records."""
    with _opened() as store:
        rows = store.open_dead_letters(flow=flow)
    if not records:
        _emit(group_incidents(rows), as_json, _incident_line)
        if not rows and not as_json:
            click.echo("no open dead letters")
        return
    _emit(
        rows,
        as_json,
        lambda d: (
            f"#{d.id} {d.status:<8} {d.severity} {d.flow} {d.entity}/{d.key} {d.operation} "
            f"[{d.error_code}{' retryable' if d.retryable else ''}] x{d.attempts} "
            f"last {d.last_seen:%Y-%m-%d %H:%M:%S}Z: {d.message}"
        ),
    )
    if not rows and not as_json:
        click.echo("no open dead letters")


def _incident_line(incident: Incident) -> str:
    entities = ", ".join(f"{entity} {n}" for entity, n in sorted(incident.by_entity.items()))
    sample = ", ".join(f"{entity}/{key}" for entity, key in incident.records[:3])
    more = f", ... (+{len(incident.records) - 3})" if len(incident.records) > 3 else ""
    return (
        f"#{incident.dead_letter_ids[0]} {incident.status:<8} {incident.severity} {incident.flow} "
        f"run {incident.run_id or '-'} "
        f"[{incident.error_code}{' retryable' if incident.retryable else ''}] {len(incident.records)} record(s) "
        f"({entities}) x{incident.attempts} last {incident.last_seen:%Y-%m-%d %H:%M:%S}Z: {incident.message} "
        f"-- {sample}{more}"
    )


@state.command()
@click.argument("entity")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history(entity: str, key: str, as_json: bool) -> None:
    """The audit trail of one record (ENTITY KEY), oldest first."""
    with _opened() as store:
        rows = store.record_history(entity, key)
    _emit(
        rows,
        as_json,
        lambda a: (
            f"{a.at:%Y-%m-%d %H:%M:%S}Z run {a.run_id} {a.operation:<6} "
            f"checksum={a.checksum or '-'} after={json.dumps(a.after, default=str)}"
        ),
    )
    if not rows and not as_json:
        click.echo(f"no history for {entity}/{key}")


@state.command()
@click.option("--flow", default=None, help="Only this flow.")
@click.option("--partition", default=None, help="Only this partition.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def runs(flow: str | None, partition: str | None, limit: int, as_json: bool) -> None:
    """Recent sync runs, newest first."""
    with _opened() as store:
        rows = store.recent_runs(flow=flow, partition=partition, limit=limit)
    _emit(
        rows,
        as_json,
        lambda r: (
            f"#{r.id} {r.status:<9} {r.flow} [{r.partition or '-'}] started {r.started_at:%Y-%m-%d %H:%M:%S}Z "
            + " ".join(f"{k}={v}" for k, v in r.counts.items())
            + f" corr={r.correlation_id} dagster={r.dagster_run_id or '-'}"
            + (f" reason: {r.reason}" if r.reason else "")
        ),
    )
    if not rows and not as_json:
        click.echo("no runs")
