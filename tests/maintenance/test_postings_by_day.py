"""The day-partitioned posting flow (`maintenance_postings`): a day's EAM issues become ERP goods issues once,
also when a run is killed with `kill -9` in the middle of the posting and the day is run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

import dagster as dg
import httpx
import pytest

from assets import assets_and_checks
from assets.partitions import days
from tests.maintenance.maintenance_harness import MaintenanceHarness, maintenance_harness

POSTINGS = "/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader"
ISSUES = 10


@pytest.fixture(scope="module")
def maint(tmp_path_factory) -> MaintenanceHarness:
    """One set of sandboxes for the module: each test uses its own work order and looks only at its own."""
    with maintenance_harness(tmp_path_factory.mktemp("postings")) as harness:
        yield harness


def post_day(maint: MaintenanceHarness, day: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets_and_checks(),
        selection=dg.AssetSelection.groups("maintenance_postings"),
        partition_key=day,
        instance=maint.systems.instance,
        resources=maint.resources(),
        raise_on_error=False,
    )


def posted_in_erp(maint: MaintenanceHarness) -> int:
    return maint.erp_calls("POST", POSTINGS)


def test_a_day_killed_during_the_posting_and_run_again_has_every_issue_posted_once(maint, tmp_path):
    """Runs first: the site flow has posted nothing of today yet."""
    [part] = maint.spare_parts(1)
    number = maint.new_work_order({part: Decimal(ISSUES)})
    assert maint.sync().success  # the site flow creates the reservation; its issues come next
    stock_before = maint.stock(part)
    for _ in range(ISSUES):
        maint.issue(number, part, Decimal(1))
    day = datetime.now(UTC).date().isoformat()
    assert day in days.get_partition_keys()
    erp = maint.systems.url("erp")
    maint.systems.reset_stats("erp")
    httpx.put(f"{erp}/_sandbox/faults", json={"latency_ms": 250}).raise_for_status()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "MFG_SYNC_DATA_DIR": str(tmp_path / "data"),
        "MFG_SYNC_STATE_URL": maint.systems.state().url,
        "MFG_SYNC_ERP_URL": erp,
        "MFG_SYNC_EAM_URL": maint.systems.url("eam"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.maintenance.postings_runner", day],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):  # bounded: 1200 polls of 0.1 s
            if posted_in_erp(maint) >= 3 or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the posting run ended before it could be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    httpx.delete(f"{erp}/_sandbox/faults").raise_for_status()
    killed_after = posted_in_erp(maint)
    assert 3 <= killed_after < ISSUES

    assert post_day(maint, day).success

    marks = {
        k: m for k, m in maint.postings().items() if int(k) in {t.transaction_id for t in maint.transactions(number)}
    }
    assert len(marks) == ISSUES and {m["state"] for m in marks.values()} == {"posted"}
    with maint.systems.erp().client() as client:
        assert len(client.maintenance.find_postings(m["reference"] for m in marks.values())) == ISSUES  # none missing
    assert maint.stock(part) == stock_before - ISSUES  # none twice: a twin would have moved stock again
    assert maint.reservation(number).items[0].withdrawn_quantity == Decimal(ISSUES)
    assert posted_in_erp(maint) <= ISSUES + 1  # at most the one post in flight at the kill is sent again


def test_a_day_already_posted_by_the_site_flow_posts_nothing(maint):
    [part] = maint.spare_parts(1)
    number = maint.new_work_order({part: Decimal(3)})
    assert maint.sync().success
    maint.issue(number, part, Decimal(2))
    assert maint.sync().success
    maint.systems.reset_stats("erp")

    result = post_day(maint, datetime.now(UTC).date().isoformat())

    assert result.success and posted_in_erp(maint) == 0
    [apply] = [m for m in result.asset_materializations_for_node("erp__goods_issues_by_day")]
    assert apply.metadata["posted"].value == 0 and apply.metadata["held"].value == 0
    assert apply.metadata["already_posted"].value == len(maint.postings())  # this order's issue among them
