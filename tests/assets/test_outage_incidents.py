"""An ERP outage in the middle of the material batches is one incident with its records, not one dead letter
line per material; the re-run after the outage resolves the incident as a whole."""

import threading
import time

import httpx
from click.testing import CliRunner

from orchestration.cli import main
from tests.sync_harness import SyncHarness, sync_harness

ASSEMBLY = "ASM-10002"


def outage_once_writes_reach(h: SyncHarness, writes: int, stop: threading.Event) -> threading.Thread:
    def watch() -> None:
        while not stop.is_set():
            if httpx.get(f"{h.url('erp')}/_sandbox/stats").json()["writes"] >= writes:
                h.faults("erp", outage=True)
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_an_outage_mid_run_is_one_incident_with_its_records_and_a_rerun_resolves_it(tmp_path):
    with sync_harness(tmp_path) as h:
        h.faults("erp", latency_ms=20)
        stop = threading.Event()
        watcher = outage_once_writes_reach(h, 40, stop)
        assert not h.sync(ASSEMBLY, batch_size=4).success
        stop.set()
        watcher.join(timeout=10)
        store = h.state().store()

        materials = [d for d in store.open_dead_letters(entity="material")]
        [outage] = [i for i in store.open_incidents() if "material" in i.by_entity]
        assert len(materials) > 10 and outage.by_entity == {"material": len(materials)}
        assert "sandbox outage" in outage.message and outage.retryable
        out = CliRunner().invoke(main, ["state", "dead-letters"], env={"MFG_SYNC_STATE_URL": h.state().url})
        assert out.exit_code == 0, out.output
        assert len(out.output.splitlines()) == len(store.open_incidents())
        assert f"{len(materials)} record(s) (material {len(materials)})" in out.output

        h.faults("erp")
        assert h.sync(ASSEMBLY, batch_size=4).success
        assert store.open_incidents() == []
