"""The site flow and a day's backfill posting the same EAM transactions at the same moment: each transaction
becomes one ERP goods issue, whichever run gets there first (the other waits for its lease, then finds it)."""

from __future__ import annotations

import threading
from decimal import Decimal

import dagster as dg

from assets import assets_and_checks
from assets import maintenance_state as state
from assets.jobs import MAINTENANCE_SYNC_SELECTION
from assets.keys import ERP_GOODS_ISSUE_PLAN, ERP_GOODS_ISSUES
from assets.maintenance_posting import post_changes
from assets.partitions import sites
from sync.frames import frame_to_records
from sync.maintenance_plan import GoodsIssueChange
from tests.maintenance.maintenance_harness import SITE, MaintenanceHarness, maintenance_harness
from tests.maintenance.test_goods_issues import POSTINGS


def goods_issue_plan(maint: MaintenanceHarness) -> list[GoodsIssueChange]:
    """The maintenance flow up to its goods-issue plan (the dry run): what both runs would post."""
    maint.systems.instance.add_dynamic_partitions(sites.name, [SITE])
    result = dg.materialize(
        assets_and_checks(),
        selection=MAINTENANCE_SYNC_SELECTION - dg.AssetSelection.assets(ERP_GOODS_ISSUES),
        partition_key=SITE,
        instance=maint.systems.instance,
        resources=maint.resources(),
    )
    frame = result.output_for_node(ERP_GOODS_ISSUE_PLAN.to_python_identifier())
    return [c for c in frame_to_records(frame, GoodsIssueChange) if c.op == "post"]


def test_two_runs_posting_the_same_transactions_at_once_post_each_once(tmp_path):
    with maintenance_harness(tmp_path) as maint:
        parts = maint.spare_parts(2)
        number = maint.new_work_order({parts[0]: Decimal(4), parts[1]: Decimal(2)})
        assert maint.sync().success  # the reservation the issues post against
        maint.issue(number, parts[0], Decimal(1))
        maint.issue(number, parts[1], Decimal(1))
        changes = goods_issue_plan(maint)
        assert len(changes) == 2
        maint.systems.reset_stats("erp")
        store = maint.systems.state().store()
        maint.systems.faults("erp", latency_ms=50)  # both passes overlap
        start = threading.Barrier(2)
        outcomes = {}

        def post(name: str) -> None:
            run_id = store.start_run(state.MAINTENANCE_FLOW, name, name)
            with maint.systems.erp().client() as erp:
                start.wait()
                outcomes[name], _ = post_changes(erp, store, run_id, changes, lambda failed: {})

        threads = [threading.Thread(target=post, args=(name,)) for name in ("site", "day")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        maint.systems.faults("erp")

        assert sorted(o.posted for o in outcomes.values()) == [0, 2]
        assert {r["status"] for o in outcomes.values() for r in o.rows} == {"posted", "already posted"}
        assert maint.erp_calls("POST", POSTINGS) == 2  # one post per transaction, none twice
