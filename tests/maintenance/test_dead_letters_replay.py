"""A goods issue the ERP refuses (not enough stock) becomes a dead letter with its business severity, a
plant-critical one alerts at once, and `mfg-sync replay` posts it exactly once after stock is added: through
the real assets, the real `replay_dead_letters` job and the CLI, over real HTTP.

The tests share one scenario (module scope) and run in file order: refused -> listed -> replayed -> quiet.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from assets import assets_and_checks
from assets.jobs import MAINTENANCE_SYNC_SELECTION
from assets.replay import REPLAY_OP, erp_replayed_goods_issues
from assets.sync_statistics import sync_statistics
from orchestration.cli import main
from resources.alerts import AlertResource
from sync.flows import MAINTENANCE_FLOW
from sync.records import GoodsIssue
from tests.maintenance.maintenance_harness import SITE, maintenance_harness
from tests.triggers.support import AlertInbox

CLI = [str(Path(sys.executable).with_name("mfg-sync"))]
POSTINGS = "/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader"


def erp_move(maint, reference: str, part: str, quantity: Decimal, movement: str) -> None:
    """A goods movement made directly in the ERP (another department's issue, or a return to stock)."""
    with maint.systems.erp().client() as erp:
        erp.maintenance.post_goods_movement(
            GoodsIssue(
                reference=reference,
                material=part,
                quantity=quantity,
                movement_type=movement,
                storage_location="0001",
                cost_center="CC4100",
            )
        )


def sync_with_alerts(maint, url: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets_and_checks(),
        selection=MAINTENANCE_SYNC_SELECTION,
        partition_key=SITE,
        instance=maint.systems.instance,
        resources={**maint.resources(), "alerts": AlertResource(webhook_url=url)},
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """A priority-1 work order on an open order whose part the ERP has 1 of, and an EAM issue of 3."""
    tmp = tmp_path_factory.mktemp("replay")
    inbox = AlertInbox()
    with maintenance_harness(tmp) as maint, inbox.serving() as url:
        [part] = maint.spare_parts(1)
        number = maint.new_work_order({part: Decimal(5)}, priority=1)
        assert maint.sync().success
        erp_move(maint, "DRAIN-1", part, maint.stock(part) - 1, "201")
        maint.issue(number, part, Decimal(3))
        runs = [sync_with_alerts(maint, url) for _ in range(3)]  # the next scheduled runs meet the same refusal
        yield {"maint": maint, "part": part, "number": number, "runs": runs, "inbox": inbox, "tmp": tmp}


def test_a_refused_posting_becomes_one_plant_critical_dead_letter_with_its_movement(scenario):
    store = scenario["maint"].systems.state().store()
    [letter] = store.open_dead_letters(flow=MAINTENANCE_FLOW, entity="goods_issue")
    assert letter.severity == "plant-critical" and letter.attempts == 3
    assert letter.payload["work_order"] == f"{SITE}/{scenario['number']}"
    assert letter.payload["issue"]["reference"] == f"EAM-MT-{letter.key}"
    # a run with a failed record is partial: the breaker counts it
    assert [r.status for r in store.recent_runs(MAINTENANCE_FLOW, SITE, limit=3)] == ["partial"] * 3


def test_a_plant_critical_failure_alerts_at_once_and_only_once(scenario):
    [at_once, _] = scenario["inbox"].messages
    assert "[CRITICAL] Plant-critical goods issue failed" in at_once["text"] and scenario["number"] in at_once["text"]


def test_the_third_failed_run_opens_the_breaker_with_one_alert_counting_by_severity(scenario):
    [_, breaker] = scenario["inbox"].messages
    assert "Circuit breaker OPEN for maintenance_sync: 3 consecutive failed runs" in breaker["text"]
    assert "plant-critical 1, operational 0, reporting 0" in breaker["text"]


def test_the_dead_letter_list_of_a_flow_shows_the_severity(scenario):
    url = scenario["maint"].systems.state().url
    out = CliRunner().invoke(
        main, ["state", "dead-letters", "--flow", MAINTENANCE_FLOW, "--records"], env={"MFG_SYNC_STATE_URL": url}
    )
    assert out.exit_code == 0, out.output
    [line] = out.output.splitlines()
    assert "plant-critical maintenance_sync goods_issue/" in line


def test_the_statistics_asset_counts_open_dead_letters_by_severity(scenario):
    maint = scenario["maint"]
    result = dg.materialize([sync_statistics], instance=maint.systems.instance, resources=maint.resources())
    [stats] = result.asset_materializations_for_node("monitoring__sync_statistics")
    assert stats.metadata["open_dead_letters_plant_critical"].value == 1
    assert stats.metadata["maintenance_sync_dead_letters_plant_critical"].value == 1


def test_replay_after_stock_is_added_posts_the_goods_issue_exactly_once(scenario):
    maint, part = scenario["maint"], scenario["part"]
    erp_move(maint, "RESTOCK-1", part, Decimal(10), "202")
    store = maint.systems.state().store()
    [letter] = store.open_dead_letters(flow=MAINTENANCE_FLOW)
    stock_before = maint.stock(part)
    maint.systems.reset_stats("erp")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(scenario["tmp"] / "dagster_home"),
        "MFG_SYNC_DATA_DIR": str(scenario["tmp"] / "data"),
        "MFG_SYNC_STATE_URL": maint.systems.state().url,
        "MFG_SYNC_ERP_URL": maint.systems.url("erp"),
        "MFG_SYNC_EAM_URL": maint.systems.url("eam"),
    }

    result = subprocess.run([*CLI, "replay", "--flow", MAINTENANCE_FLOW], env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr[-3000:]
    assert f"#{letter.id} replayed" in result.stdout and "replayed 1  failed 0  skipped 0" in result.stdout
    assert maint.erp_calls("POST", POSTINGS) == 1 and maint.stock(part) == stock_before - 3
    assert maint.postings()[letter.key]["state"] == "posted"
    [after] = store.dead_letters_by_id([letter.id])
    assert after.status == "replayed" and store.open_dead_letters(flow=MAINTENANCE_FLOW) == []


def test_the_next_sync_and_a_second_replay_post_nothing_more(scenario):
    maint = scenario["maint"]
    maint.systems.reset_stats("erp")
    assert maint.sync().success
    run = dg.materialize(  # in process this time: the same asset, the same idempotency
        [erp_replayed_goods_issues],
        instance=maint.systems.instance,
        resources=maint.resources(),
        run_config={"ops": {REPLAY_OP: {"config": {"flow": MAINTENANCE_FLOW}}}},
    )
    assert run.success
    assert maint.erp_calls("POST", POSTINGS) == 0
