"""The BOM sync end to end: the real assets against the sandbox PLM and ERP over HTTP.

Every assertion about the ERP reads the ERP itself, never our state store.
"""

import threading
import time
from decimal import Decimal

import httpx
import pytest

from orchestration.settings import load_mapping_spec
from resources.plm.change_feed import shared_change_feed
from resources.plm.extract_cache import released_top_assemblies
from sync.keys import bom_item_key, split_key
from sync.mapping import map_released_bom
from tests.sync_harness import SyncHarness, sync_harness
from tests.validation.support import check

DEMO_ASSEMBLIES = ("ASM-10001", "ASM-10002", "ASM-10004")
EXTRACT_AND_PLANS = ["plm/parts", "plm/bom_lines", "erp/material_plan", "erp/bom_plan"]


def mapped_plm(h: SyncHarness, numbers) -> dict[str, dict[str, dict]]:
    """What the ERP should hold: the released PLM BOMs, read fresh and mapped with the spec."""
    spec = load_mapping_spec()
    desired = {"material": {}, "bom_header": {}, "bom_item": {}}
    with h.plm().client() as plm:
        for number in numbers:
            released = plm.released_bom(number)
            for entity, rows in map_released_bom(spec, released.parts, released.lines).desired().items():
                desired[entity].update(rows)
    return desired


def erp_contents(h: SyncHarness, desired: dict[str, dict[str, dict]]) -> dict[str, dict[str, dict]]:
    """The ERP's materials and released BOMs for those keys, reduced to the fields the spec writes."""
    spec = load_mapping_spec()
    found = {"material": {}, "bom_header": {}, "bom_item": {}}
    with h.erp().client() as erp:
        for key, payload in erp.read_materials(desired["material"]).items():
            found["material"][key] = spec.entities["material"].normalise(payload)
        for header_key in desired["bom_header"]:
            bom = erp.read_bom(*split_key(header_key))
            if bom is None:
                continue
            found["bom_header"][header_key] = spec.entities["bom_header"].normalise(bom.header)
            address = dict(zip(("Material", "Plant", "BillOfMaterialVariantUsage"), split_key(header_key), strict=True))
            for item in bom.items:
                key = bom_item_key(*split_key(header_key), item["BillOfMaterialItemNumber"])
                found["bom_item"][key] = spec.entities["bom_item"].normalise({**item, **address})
    return found


def batch_calls(h: SyncHarness) -> dict[str, int]:
    return {route: n for route, n in h.stats("erp")["calls"].items() if route.endswith("$batch")}


@pytest.fixture(scope="module")
def synced_demo(tmp_path_factory):
    """The three demo assemblies synced once into a fresh ERP (shared: the first sync is the slow part)."""
    with sync_harness(tmp_path_factory.mktemp("demo")) as h:
        results = {number: h.sync(number) for number in DEMO_ASSEMBLIES}
        yield h, results


def test_a_first_sync_makes_the_erp_equal_the_mapped_plm(synced_demo):
    h, results = synced_demo
    assert all(result.success for result in results.values())
    desired = mapped_plm(h, DEMO_ASSEMBLIES)
    assert erp_contents(h, desired) == desired
    assert len(desired["bom_item"]) >= 600


def test_the_read_back_checks_pass_after_a_first_sync(synced_demo):
    _, results = synced_demo
    for result in results.values():
        evaluations = [
            e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
        ]
        assert {e.check_name for e in evaluations} >= {"bom_structure", "materials_match_plan", "boms_match_plan"}
        assert all(e.passed for e in evaluations)


def test_a_second_sync_writes_nothing(synced_demo):
    h, _ = synced_demo
    h.reset_stats()
    for number in DEMO_ASSEMBLIES:
        assert h.sync(number).success
    assert h.stats("erp")["writes"] == 0
    assert batch_calls(h) == {}


def test_a_no_op_apply_reads_nothing_back(synced_demo):
    h, _ = synced_demo
    result = h.sync(DEMO_ASSEMBLIES[0])
    assert result.success
    for step in ("erp/materials", "erp/boms"):  # the plan compared every record with this run's fresh read
        [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == step]
        assert event.materialization.metadata["erp_calls"].value == 0
    assert check(result, "erp/materials", "materials_match_plan").passed


def test_after_an_apply_that_wrote_nothing_the_post_sync_checks_validate_the_plans_read(synced_demo):
    h, _ = synced_demo
    result = h.sync(DEMO_ASSEMBLIES[0])
    for step in ("erp/materials", "erp/boms"):
        verdict = check(result, step, "erp_post_sync")
        assert verdict.passed and verdict.metadata["erp_calls"].value == 0
        assert "this run's plan read" in verdict.metadata["erp_read_reused"].value


def test_after_an_apply_that_wrote_the_post_sync_checks_read_the_erp_again(synced_demo):
    _, first_syncs = synced_demo
    for step in ("erp/materials", "erp/boms"):
        verdict = check(first_syncs[DEMO_ASSEMBLIES[0]], step, "erp_post_sync")
        assert verdict.passed and verdict.metadata["erp_calls"].value > 0
        assert "erp_read_reused" not in verdict.metadata


def test_a_no_op_re_sync_of_every_assembly_reads_little_more_than_the_change_feed(synced_demo):
    h, _ = synced_demo
    store = h.state().store()
    try:
        with h.plm().client() as plm:
            released_top_assemblies(plm, store.plm_cache)  # the first `--all` looks for top assemblies in full
        h.reset_stats()
        with shared_change_feed():  # as `mfg-sync sync bom --all` runs: discovery, then one run per assembly
            with h.plm().client() as plm:
                assert released_top_assemblies(plm, store.plm_cache) == list(DEMO_ASSEMBLIES)
            assert all(h.sync(number).success for number in DEMO_ASSEMBLIES)
    finally:
        store.dispose()
    calls = h.stats("plm")["calls"]
    assert sum(calls.values()) <= 10, calls
    assert h.stats("erp")["writes"] == 0


def test_an_incremental_sync_after_a_change_deep_in_the_tree_leaves_the_erp_as_a_full_one_would(synced_demo):
    h, _ = synced_demo
    with h.plm().client() as plm:
        lines = plm.released_bom("ASM-10002").lines
    deepest = max(lines, key=lambda line: line.level)
    h.release_bom_change(deepest.parent_number, {deepest.find_number: deepest.quantity + 1})
    h.reset_stats()
    assert all(h.sync(number).success for number in DEMO_ASSEMBLIES)
    assert h.stats("plm")["calls"]["GET /v1/items/{guid}/bom"] <= len(DEMO_ASSEMBLIES)  # the changed BOM only
    desired = mapped_plm(h, DEMO_ASSEMBLIES)  # a full, uncached read of the PLM
    assert erp_contents(h, desired) == desired


def test_the_full_extract_run_tag_reads_the_whole_bom_from_the_plm_again(synced_demo):
    h, _ = synced_demo
    h.reset_stats()
    result = h.sync("ASM-10004", tags={"mfg-sync/full-extract": "true"})  # as the weekly full sync tags its runs
    assert result.success
    extract = result.asset_materializations_for_node("plm_released_bom")[0].metadata
    assert extract["extract_mode"].value == "full" and extract["extract_boms_cached"].value == 0
    assert h.stats("plm")["calls"]["GET /v1/items/{guid}/bom"] == extract["extract_boms_read"].value > 1
    assert h.stats("erp")["writes"] == 0


def test_a_dry_run_plans_without_writing_to_the_erp(tmp_path):
    with sync_harness(tmp_path) as h:
        result = h.sync("ASM-10004", selection=EXTRACT_AND_PLANS)
        assert result.success
        plan = result.asset_materializations_for_node("erp__bom_plan")[0].metadata
        assert plan["to_create"].value > 0
        assert h.stats("erp")["writes"] == 0


def test_changing_three_lines_writes_exactly_those_lines_in_one_batch_call(tmp_path):
    with sync_harness(tmp_path) as h:
        assert h.sync("ASM-10004").success
        new_quantities = {10: Decimal("7"), 20: Decimal("3"), 30: Decimal("2.5")}
        h.release_bom_change("ASM-10004", new_quantities)
        h.reset_stats()

        assert h.sync("ASM-10004").success

        assert h.stats("erp")["writes"] == 3
        assert sum(batch_calls(h).values()) == 1
        with h.erp().client() as erp:
            bom = erp.read_bom("ASM-10004", "1000")
        quantities = {
            int(i["BillOfMaterialItemNumber"]): Decimal(str(i["BillOfMaterialItemQuantity"])) for i in bom.items
        }
        assert {n: quantities[n] for n in new_quantities} == new_quantities


def _outage_once_writes_reach(h: SyncHarness, writes: int, stop: threading.Event) -> threading.Thread:
    """Watch the ERP; when it has stored `writes` entities, take it down (an outage halfway through)."""

    def watch() -> None:
        while not stop.is_set():
            if httpx.get(f"{h.url('erp')}/_sandbox/stats").json()["writes"] >= writes:
                h.faults("erp", outage=True)
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_sync_interrupted_by_an_erp_outage_converges_when_run_again(tmp_path):
    with sync_harness(tmp_path) as h:
        h.faults("erp", latency_ms=20)  # slow enough for the watcher to strike mid-sync
        stop = threading.Event()
        watcher = _outage_once_writes_reach(h, 150, stop)
        interrupted = h.sync("ASM-10002", batch_size=4)
        stop.set()
        watcher.join()
        assert not interrupted.success
        assert h.state().store().open_dead_letters(), "the records not written are dead letters"

        h.faults("erp")  # the ERP is back
        rerun = h.sync("ASM-10002", batch_size=4)
        assert rerun.success

        desired = mapped_plm(h, ["ASM-10002"])
        assert erp_contents(h, desired) == desired
        with h.erp().client() as erp:
            products = [m["Product"] for m in erp.iter_entities("/sap/opu/odata/sap/API_PRODUCT_SRV", "A_Product")]
            assert len(products) == len(set(products)), "no duplicate materials"
            for header_key in desired["bom_header"]:
                versions = erp.bom_versions(*split_key(header_key))
                assert all(v.is_released or v.status == "30" for v in versions), "no draft or half BOM left"
                released = [v for v in versions if v.is_released]
                assert len(released) == 1
                numbers = [i["BillOfMaterialItemNumber"] for i in erp.read_bom(*split_key(header_key)).items]
                assert len(numbers) == len(set(numbers)), "no duplicate BOM items"
        assert not h.state().store().open_dead_letters(), "the successful re-run resolved the dead letters"


def test_applying_a_plan_again_records_what_the_erp_already_holds_instead_of_writing_it(tmp_path):
    """An op retry, or re-executing the apply step from the UI, meets its own earlier writes."""
    with sync_harness(tmp_path) as h:
        plans = h.sync("ASM-10004", selection=EXTRACT_AND_PLANS)
        assert plans.success
        assert h.sync("ASM-10004", selection=["erp/materials", "erp/boms"]).success
        writes = h.stats("erp")["writes"]

        again = h.sync("ASM-10004", selection=["erp/materials", "erp/boms"])  # the same, now stale, plans

        assert again.success
        assert h.stats("erp")["writes"] == writes
        with h.erp().client() as erp:
            assert len(erp.bom_versions("ASM-10004", "1000")) == 1, "no second BOM version"


def test_item_changes_of_a_released_bom_go_under_the_plm_change_order_number(tmp_path):
    with sync_harness(tmp_path) as h:
        assert h.sync("ASM-10004").success
        change_number = h.release_bom_change("ASM-10004", {20: Decimal("4")})

        result = h.sync("ASM-10004")

        assert result.success
        plan = result.asset_materializations_for_node("erp__bom_plan")[0].metadata
        assert plan["change_orders"].value == f"ASM-10004: {change_number}"
        with h.erp().client() as erp:
            [item] = [i for i in erp.read_bom("ASM-10004", "1000").items if int(i["BillOfMaterialItemNumber"]) == 20]
        assert item["_change_number"] == change_number
