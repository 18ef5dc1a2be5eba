"""`mfg-sync connections list | test NAME | enable NAME | disable NAME`: the ERP connections of
`mappings/connections.yaml`. Enable/disable is kept in the state store (it overrides the file's `enabled`),
so every process sharing the store (daemon, webserver, CLI) sees the same switch without a redeploy."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from resources.erp.connections import Connection, ConnectionsError, disabled_reason, is_enabled, load_connections
from resources.erp.connections import connection as find_connection
from resources.state import StateStore


def named(name: str) -> Connection:
    try:
        return find_connection(name)
    except ConnectionsError as exc:
        raise click.ClickException(str(exc)) from None


QUICK = {"max_attempts": 2, "total_budget_s": 10.0}  # a person waits for `test`: report, do not sit out outages


def connector(conn: Connection, **overrides: Any) -> Any:
    """The configured ERP of a connection (a Dagster resource of its kind), from the environment."""
    from resources.sandbox_profile import apply_sandbox_profile

    apply_sandbox_profile()
    if conn.kind == "sap":
        from resources.erp import ERPResource

        return ERPResource.from_env(**overrides)
    from resources.erp.tryton.resource import TrytonResource

    return TrytonResource.from_env(prefix=conn.env_prefix, **overrides)


def refusal(conn: Connection) -> str | None:
    """Why a command must not sync to `conn` now (it is disabled), or None."""
    store = StateStore.from_env()
    try:
        return disabled_reason(conn, store.connection_switches())
    finally:
        store.dispose()


@click.group()
def connections() -> None:
    """ERP connections (mappings/connections.yaml): list, test, enable, disable."""


@connections.command("list")
def list_connections() -> None:
    """Every connection: kind, enabled, endpoint variable, mapping spec, and its last sync run."""
    try:
        known = load_connections()
    except ConnectionsError as exc:
        raise click.ClickException(str(exc)) from None
    store = StateStore.from_env()
    try:
        switches = store.connection_switches()
        for conn in known.values():
            state = "enabled" if is_enabled(conn, switches) else "disabled"
            where = "set by `connections enable/disable`" if conn.name in switches else "connections.yaml"
            runs = store.recent_runs(conn.flow, limit=1)
            last = f"last run {runs[0].status} {runs[0].started_at:%Y-%m-%d %H:%M} UTC" if runs else "never synced"
            default = "  (default)" if conn.is_default else ""
            click.echo(f"{conn.name:<10} {conn.kind:<7} {state:<9} ({where})  endpoint ${conn.endpoint}{default}")
            click.echo(f"{'':<11}mapping {conn.mapping.name}  flow {conn.flow}  {last}")
    finally:
        store.dispose()


@connections.command("test")
@click.argument("name")
def test(name: str) -> None:
    """Log in and read one record; print latency and the server version; exit 1 when it fails."""
    conn = named(name)
    started = time.monotonic()
    try:
        facts = connector(conn, **QUICK).test_connection()
    except Exception as exc:  # a configuration problem (unset variable, refused secret) names itself
        click.echo(f"{name}: FAILED: {exc}", err=True)
        sys.exit(1)
    latency_ms = (time.monotonic() - started) * 1000
    if not facts.get("ok"):
        error = facts.get("error") or {}
        click.echo(f"{name}: FAILED after {latency_ms:.0f} ms: {error.get('message') or error}", err=True)
        sys.exit(1)
    version = facts.get("version") or "not reported by the server"
    click.echo(
        f"{name}: ok  {conn.kind} at {facts.get('base_url', '')}  latency {latency_ms:.0f} ms  version {version}"
    )


def _switch(name: str, enabled: bool) -> None:
    named(name)
    store = StateStore.from_env()
    try:
        store.set_connection_enabled(name, enabled)
    finally:
        store.dispose()
    state = "enabled" if enabled else "disabled: its schedules and sensors skip, `sync bom` refuses it"
    click.echo(f"{name}: {state}")


@connections.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Enable a connection (kept in the state store)."""
    _switch(name, True)


@connections.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable a connection: its schedules and sensors skip with the reason (kept in the state store)."""
    _switch(name, False)
