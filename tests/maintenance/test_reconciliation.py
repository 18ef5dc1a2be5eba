"""Maintenance reconciliation and `mfg-sync sync maintenance`, as a planner and a storeroom clerk see them: the
flows run from the command line (through Dagster, over real HTTP), the reconciliation is clean afterwards, and
a goods issue cancelled directly in the ERP and a balance changed directly in the EAM are flagged, exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets import assets_and_checks
from assets.keys import MAINTENANCE_RECONCILIATION
from assets.maintenance_reconciliation import CHECK
from resources.eam.client import BALANCE
from tests.maintenance.maintenance_harness import SITE, MaintenanceHarness, maintenance_harness
from tests.validation.support import parse_report

CLI = [str(Path(sys.executable).with_name("mfg-sync"))]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)


def adjust_eam_balance(maint: MaintenanceHarness, item: str, delta: Decimal) -> None:
    with maint.eam_client() as eam:
        [b] = eam.query(BALANCE, where=f'siteid="{SITE}" and itemnum="{item}" and location="CENTRAL"')
        eam.adjust_balance(b["href"], Decimal(str(b["curbal"])) + delta)


def reconcile(maint: MaintenanceHarness) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets_and_checks(),
        selection=dg.AssetSelection.assets(MAINTENANCE_RECONCILIATION),
        instance=maint.systems.instance,
        resources=maint.resources(),
        raise_on_error=False,
    )


def table(result: dg.ExecuteInProcessResult) -> pd.DataFrame:
    return result.output_for_node(MAINTENANCE_RECONCILIATION.to_python_identifier())


def check_passed(result: dg.ExecuteInProcessResult) -> bool:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK]
    return evaluation.passed


def metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == MAINTENANCE_RECONCILIATION]
    return {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("maintenance_recon")
    with pytest.MonkeyPatch.context() as env, maintenance_harness(tmp) as maint:
        env.setenv("MFG_SYNC_DATA_DIR", str(tmp / "data"))
        cli_env = {
            **os.environ,
            "DAGSTER_HOME": str(tmp / "dagster_home"),
            "MFG_SYNC_DATA_DIR": str(tmp / "cli_data"),
            "MFG_SYNC_STATE_URL": f"sqlite:///{tmp / 'state.db'}",
            "MFG_SYNC_MAINTENANCE_SPEC": maint.spec.path,
            "MFG_SYNC_ERP_URL": maint.systems.url("erp"),
            "MFG_SYNC_EAM_URL": maint.systems.url("eam"),
        }
        parts = maint.spare_parts(3)
        number = maint.new_work_order({parts[0]: Decimal(4), parts[1]: Decimal(2), parts[2]: Decimal(1)})
        maint.issue(number, parts[0], Decimal(2))
        maint.issue(number, parts[1], Decimal(1))
        maint.issue(number, parts[0], Decimal(1), kind="RETURN")
        first = cli(cli_env, "sync", "maintenance", "--flow", "goods-issues", "--site", SITE)
        writes = maint.erp_writes()
        again = cli(cli_env, "sync", "maintenance", "--all")
        writes_by_rerun = maint.erp_writes() - writes
        [line] = [li for li in maint.planned_lines(number) if li["itemnum"] == parts[2]]
        maint.change_planned_quantity(number, line["wpitemid"], Decimal(3))
        reservations_only = cli(cli_env, "sync", "maintenance", "--flow", "reservations")
        yield {
            "maint": maint,
            "env": cli_env,
            "parts": parts,
            "number": number,
            "first": first,
            "again": again,
            "reservations_only": reservations_only,
            "writes_by_rerun": writes_by_rerun,
        }


@pytest.fixture(scope="module")
def clean(world):
    return {"result": reconcile(world["maint"]), "cli": cli(world["env"], "reconcile", "maintenance")}


@pytest.fixture(scope="module")
def drifted(world, clean):
    maint, parts = world["maint"], world["parts"]
    issued = [p for p in maint.postings().values() if p["state"] == "posted"]
    with maint.systems.erp().client() as erp:
        by_reference = erp.maintenance.find_postings(p["reference"] for p in issued)
        [cancelled] = [p for p in by_reference.values() if p.material == parts[1]]
        erp.maintenance.cancel_posting(cancelled.document_year, cancelled.document)  # by hand, in the ERP
    adjust_eam_balance(maint, parts[2], Decimal(5))  # counted by hand, in the EAM
    return {
        "result": reconcile(maint),
        "cli": cli(world["env"], "reconcile", "maintenance", "--site", SITE),
        "cancelled": cancelled,
    }


def test_sync_maintenance_prints_what_each_flow_created_and_reversed(world):
    first = world["first"]
    assert first.returncode == 0, first.stderr[-2000:]
    lines = {line.split()[1]: line for line in first.stdout.splitlines() if line.startswith(SITE)}
    assert "created 1  updated 0  reversed 0  failed 0" in lines["reservations"]
    assert "created 2  updated 0  reversed 1  failed 0" in lines["goods-issues"]
    assert "EAM requests" in lines["goods-issues"] and "ERP requests" in lines["goods-issues"]


def test_every_flow_runs_with_all_and_a_rerun_writes_nothing_to_the_erp(world):
    again = world["again"]
    assert again.returncode == 0, again.stderr[-2000:]
    assert world["writes_by_rerun"] == 0
    lines = {line.split()[1]: line for line in again.stdout.splitlines() if line.startswith(SITE)}
    assert "created 0  updated 0  reversed 0  failed 0" in lines["goods-issues"]
    assert "created 0  updated 0  reversed 0  failed 0" in lines["reservations"]
    for flow in ("stock", "assets"):  # their first run: the EAM is counted and aligned, the ERP not written
        assert " ok " in lines[flow] and "failed 0" in lines[flow]


def test_the_reservations_flow_alone_updates_a_changed_planned_quantity(world):
    run = world["reservations_only"]
    assert run.returncode == 0, run.stderr[-2000:]
    [line] = [line for line in run.stdout.splitlines() if line.startswith(SITE)]
    assert line.split()[1] == "reservations" and "created 0  updated 1  reversed 0  failed 0" in line
    assert world["maint"].reservation(world["number"]).items[2].quantity == Decimal(3)


def test_after_the_flows_reconciliation_finds_no_difference(clean):
    result = clean["result"]
    assert result.success and check_passed(result)
    assert len(table(result)) == 0
    found = metadata(result)
    assert found["differences"] == 0.0 and found["compared_work_orders"] == 1.0 and found["compared_transactions"] == 3
    assert parse_report(found["report_path"]).texts["verdict"] == "EAM and ERP agree."


def test_the_command_line_says_eam_and_erp_agree(clean):
    assert clean["cli"].returncode == 0, clean["cli"].stderr[-2000:]
    assert f"EAM and ERP agree in {SITE}" in clean["cli"].stdout


def test_a_goods_issue_cancelled_in_the_erp_is_flagged_with_its_transaction(world, drifted):
    rows = table(drifted["result"]).to_dict("records")
    [row] = [r for r in rows if r["kind"] == "cancelled_in_erp"]
    assert row["area"] == "goods_issue" and row["work_order"] == world["number"]
    assert f"EAM-MT-{row['key']}" == drifted["cancelled"].reference
    [withdrawn] = [r for r in rows if r["kind"] == "withdrawn_quantity"]
    assert (withdrawn["key"], withdrawn["eam_value"], withdrawn["erp_value"]) == (
        f"{world['number']}/{world['parts'][1]}",
        "1",
        "0",
    )


def test_a_balance_changed_in_the_eam_is_flagged_per_storeroom(world, drifted):
    rows = table(drifted["result"]).to_dict("records")
    balances = {r["key"]: r for r in rows if r["area"] == "balance"}
    # the cancellation put the part back into ERP stock too; the counted part differs by the 5 added
    assert set(balances) == {f"CENTRAL/{world['parts'][1]}", f"CENTRAL/{world['parts'][2]}"}
    changed = balances[f"CENTRAL/{world['parts'][2]}"]
    assert Decimal(changed["eam_value"]) - Decimal(changed["erp_value"].split()[0]) == 5


def test_differences_fail_the_check_and_are_counted_in_the_metadata(drifted):
    result = drifted["result"]
    assert result.success and not check_passed(result)
    found = metadata(drifted["result"])
    assert (found["diff_cancelled_in_erp"], found["area_balance"], found["differences"]) == (1.0, 2.0, 4.0)


def test_the_command_line_exits_1_and_names_the_differences(drifted):
    run = drifted["cli"]
    assert run.returncode == 1
    assert "cancelled_in_erp" in run.stdout and "report: " in run.stdout
    assert "4 difference(s) between EAM and ERP" in run.stderr


@pytest.fixture(scope="module")
def refused(world, drifted):
    maint = world["maint"]
    number = maint.new_work_order({"MRO-0001": Decimal(1)})  # gloves: an item only the EAM carries
    return {"number": number, "run": cli(world["env"], "sync", "maintenance", "--flow", "reservations")}


def test_sync_maintenance_exits_1_when_the_erp_refuses_a_record(refused):
    run = refused["run"]
    assert run.returncode == 1
    [line] = [line for line in run.stdout.splitlines() if line.startswith(SITE)]
    assert "FAILED" in line and "failed 1" in line
    assert "FAILED: P1000 reservations" in run.stderr and "dead-letters" in run.stderr
