"""`mfg-sync sync shop-floor`: ERP production orders to the MES and MES completions back, through Dagster."""

from __future__ import annotations

import sys
from typing import Any

import click

from assets.shop_floor_state import (
    ERP_CONFIRMATIONS,
    MES_PRODUCT_ORDER_PLAN,
    MES_PRODUCT_ORDERS,
    SHOP_FLOOR_RECONCILIATION,
)
from orchestration.configuration import require_environment
from orchestration.shop_floor_runs import run_job
from resources.connection_rules import ConfigurationError
from resources.mes import MESResource
from sync.shop_floor_reconcile import KINDS


def _counts(metadata: dict[str, Any], names: tuple[str, ...]) -> str:
    return "  ".join(f"{name} {int(metadata.get(name, 0))}" for name in names)


@click.command("shop-floor")
@click.option("--reconcile", "reconcile_too", is_flag=True, help="Reconcile orders and confirmations afterwards.")
def shop_floor(reconcile_too: bool) -> None:
    """Released ERP production orders -> MES product orders, then completed MES orders -> ERP confirmations
    and goods receipts; print the counts; exit 1 when a run failed (or, with --reconcile, the systems differ)."""
    require_environment("erp")
    try:
        MESResource.from_env().check_configuration()
    except ConfigurationError as exc:
        raise click.ClickException(
            f"configuration: {exc}\n(for the local sandbox, set MFG_SYNC_PROFILE=sandbox)"
        ) from None
    failed = False
    result, found, error = run_job("shop_floor_orders")
    plan, applied = (
        found.get(MES_PRODUCT_ORDER_PLAN.to_user_string(), {}),
        found.get(MES_PRODUCT_ORDERS.to_user_string(), {}),
    )
    line = f"{_counts(applied, ('created', 'updated', 'closed'))}  {_counts(plan, ('unchanged', 'held'))}"
    click.echo(f"product orders  {'ok' if result.success else 'FAILED'}  {line}  (run {result.run_id[:8]})")
    if not result.success:
        failed = True
        click.echo(f"  {error}", err=True)
    result, found, error = run_job("shop_floor_completions")
    posted = found.get(ERP_CONFIRMATIONS.to_user_string(), {})
    line = _counts(posted, ("drops", "posted", "repeated", "rejected", "failed"))
    click.echo(f"confirmations   {'ok' if result.success else 'FAILED'}  {line}  (run {result.run_id[:8]})")
    if not result.success:
        failed = True
        click.echo(f"  {error}", err=True)
    if reconcile_too:
        result, found, error = run_job("shop_floor_reconciliation")
        differences = found.get(SHOP_FLOOR_RECONCILIATION.to_user_string(), {})
        total = int(differences.get("differences", 0))
        click.echo(f"reconciliation  {total} difference(s)  {_counts(differences, KINDS)}  (run {result.run_id[:8]})")
        if not result.success:
            click.echo(f"  {error}", err=True)
        failed = failed or not result.success or bool(differences.get("differences"))
    sys.exit(1 if failed else 0)
