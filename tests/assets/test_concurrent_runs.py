"""Two runs for assemblies that share a subassembly (ASM-10002 and ASM-10004 both use ASM-10007): its BOM
and materials are written to the ERP once, audited once, and both runs succeed.

Both runs plan before either applies, so both plans want to create the shared records: the second run to
reach them waits for the first's leases, then finds the ERP and the state store already hold them.
"""

from __future__ import annotations

import threading

import dagster as dg
import pytest

from assets import assets_and_checks
from assets.jobs import APPLY
from assets.partitions import assemblies
from resources.state import StateStore
from tests.assets.test_bom_sync import EXTRACT_AND_PLANS, erp_contents, mapped_plm
from tests.sync_harness import SyncHarness, sync_harness

SHARING = ("ASM-10002", "ASM-10004")
SHARED_BOM = "ASM-10007|1000|1"


def _plan_both(h: SyncHarness) -> None:
    for number in SHARING:
        assert h.sync(number, selection=EXTRACT_AND_PLANS).success


def _shared_keys(h: SyncHarness) -> dict[str, set[str]]:
    a, b = (mapped_plm(h, [number]) for number in SHARING)
    return {entity: set(a[entity]) & set(b[entity]) for entity in a}


def _audit_entries(h: SyncHarness, shared: dict[str, set[str]]) -> dict[tuple[str, str], int]:
    store = StateStore(h.state().url)
    try:
        history = store.record_history
        return {(entity, key): len(history(entity, key)) for entity, keys in shared.items() for key in keys}
    finally:
        store.dispose()


def _versions_of_shared_bom(h: SyncHarness) -> int:
    with h.erp().client() as erp:
        return len(erp.bom_versions_of(["ASM-10007"], "1000")["ASM-10007"])


def _boms_metadata(result: dg.ExecuteInProcessResult) -> dict:
    return result.asset_materializations_for_node("erp_boms")[0].metadata


@pytest.fixture(scope="module")
def applied_one_after_the_other(tmp_path_factory):
    with sync_harness(tmp_path_factory.mktemp("stale_plans")) as h:
        _plan_both(h)
        results = {number: h.sync(number, selection=APPLY) for number in SHARING}
        yield h, results


def test_both_runs_with_stale_plans_succeed_and_the_erp_equals_the_plm(applied_one_after_the_other):
    h, results = applied_one_after_the_other
    assert all(result.success for result in results.values())
    desired = mapped_plm(h, SHARING)
    assert erp_contents(h, desired) == desired


def test_the_shared_subassembly_is_written_once_and_audited_once(applied_one_after_the_other):
    h, _ = applied_one_after_the_other
    shared = _shared_keys(h)
    assert SHARED_BOM in shared["bom_header"] and len(shared["material"]) >= 5
    assert _versions_of_shared_bom(h) == 1
    assert set(_audit_entries(h, shared).values()) == {1}


def test_the_second_run_counts_what_the_first_wrote_as_unchanged(applied_one_after_the_other):
    h, results = applied_one_after_the_other
    shared = _shared_keys(h)
    first, second = (_boms_metadata(results[number]) for number in SHARING)
    shared_bom_records = len(shared["bom_header"]) + len(shared["bom_item"])
    assert second["unchanged"].value >= shared_bom_records
    assert first["created"].value >= shared_bom_records


def test_two_runs_applying_at_the_same_time_write_the_shared_bom_once(tmp_path):
    with sync_harness(tmp_path) as h:
        _plan_both(h)
        h.faults("erp", latency_ms=30)  # the applies overlap for seconds, not microseconds
        results: dict[str, dg.ExecuteInProcessResult] = {}
        start = threading.Barrier(len(SHARING))

        def apply(number: str) -> None:
            instance = dg.DagsterInstance.ephemeral()  # one instance per run, as two workers would have
            instance.add_dynamic_partitions(assemblies.name, [number])
            try:
                start.wait()
                results[number] = dg.materialize(
                    assets_and_checks(),
                    selection=APPLY,
                    partition_key=number,
                    instance=instance,
                    resources=h.resources(),
                    raise_on_error=False,
                )
            finally:
                instance.dispose()

        threads = [threading.Thread(target=apply, args=(number,)) for number in SHARING]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        h.faults("erp")
        assert sorted(results) == sorted(SHARING) and all(r.success for r in results.values())
        shared = _shared_keys(h)
        assert _versions_of_shared_bom(h) == 1
        assert set(_audit_entries(h, shared).values()) == {1}
        desired = mapped_plm(h, SHARING)
        assert erp_contents(h, desired) == desired
