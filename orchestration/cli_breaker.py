"""`mfg-sync breaker status|reset`: the per-flow circuit breaker that pauses schedules and sensors."""

from __future__ import annotations

import json

import click

from resources.state import StateStore, StateStoreError
from resources.state.breaker import breaker_state, reset_breaker
from resources.trigger_settings import breaker_threshold
from sync.flows import BOM_FLOW


def _store() -> StateStore:
    try:
        return StateStore.from_env()
    except StateStoreError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def breaker() -> None:
    """Circuit breaker per flow: open after N consecutive failed runs (MFG_SYNC_BREAKER_THRESHOLD, 3)."""


@breaker.command()
@click.option("--flow", default=BOM_FLOW, show_default=True, help="The flow to look at.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(flow: str, as_json: bool) -> None:
    """Open or closed, since when, and the current failure streak."""
    store = _store()
    try:
        state = breaker_state(store, flow, breaker_threshold())
    finally:
        store.dispose()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "flow": flow,
                    "open": state.is_open,
                    "failures": state.failures,
                    "threshold": state.threshold,
                    "since": state.since.isoformat() if state.since else None,
                    "last_failed_run": state.last_failed_run,
                }
            )
        )
    elif state.is_open:
        click.echo(f"OPEN: {state.reason()}")
    else:
        click.echo(f"closed: flow {flow!r} has {state.failures} consecutive failed run(s) (opens at {state.threshold})")


@breaker.command()
@click.option("--flow", default=BOM_FLOW, show_default=True, help="The flow whose breaker to close.")
@click.option("--by", default=None, help="Who resets it (default: the login name), kept in the marker run.")
def reset(flow: str, by: str | None) -> None:
    """Close the breaker: the next schedule tick and sensor tick request runs again."""
    store = _store()
    try:
        before = breaker_state(store, flow, breaker_threshold())
        marker = reset_breaker(store, flow, by)
    finally:
        store.dispose()
    was = "was open" if before.is_open else "was already closed"
    click.echo(f"breaker for flow {flow!r} reset ({was}); marker sync run {marker}")
