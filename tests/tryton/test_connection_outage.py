"""A Tryton server stopped in the middle of `mfg-sync sync bom --connection tryton` (through Dagster): the run
fails cleanly, its dead letters name the records it could not write, and after the server is back a re-run
converges with no duplicate product and no half BOM."""

import threading
import time

import pytest

from resources.state import StateStore
from sandbox.launcher import running_sandbox

from .support import PlainRpc, tryton_contents
from .test_connections_cli import cli_env, mapped_plm, run, store_of, tryton_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.tryton
ASSEMBLY = "ASM-10004"  # 51 products: two create calls of at most 40, so the stop falls between them


@pytest.fixture(scope="module")
def env(tryton_server, tmp_path_factory):  # noqa: F811
    home = tmp_path_factory.mktemp("outage")
    with running_sandbox(None, overrides={"plm": {"rate_limit": None}}) as sandbox:
        yield cli_env(home, sandbox, tryton_server)


def stop_after_first_products(server, cli_env, stop: threading.Event) -> threading.Thread:
    """Stops the real server as soon as the state store holds the first products the run wrote to it."""

    def watch() -> None:
        store = store_of(cli_env)
        try:
            while not stop.is_set():
                try:
                    if store.stored_records("tryton/material"):
                        server.stop()
                        return
                except Exception:  # the run has not created the state store yet
                    pass
                time.sleep(0.02)
        finally:
            store.dispose()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def outage(env, tryton_server):  # noqa: F811
    stop = threading.Event()
    watcher = stop_after_first_products(tryton_server, env, stop)
    # a few quick retries, not the production budget of minutes, against a server that stays down
    down = {**env, "MFG_SYNC_TRYTON_RETRY_BUDGET_S": "2", "MFG_SYNC_TRYTON_MAX_ATTEMPTS": "2"}
    failed = run(down, "sync", "bom", "--assembly", ASSEMBLY, "--connection", "tryton")
    stop.set()
    watcher.join(10)
    store: StateStore = store_of(env)
    try:
        dead = store.open_dead_letters("bom_sync_tryton")
    finally:
        store.dispose()
    tryton_server.start()
    again = run(env, "sync", "bom", "--assembly", ASSEMBLY, "--connection", "tryton")
    return failed, dead, again, env, tryton_server


def test_the_run_with_the_server_stopped_fails_and_says_so(outage):
    failed, *_ = outage
    assert failed.returncode == 1 and "FAILED" in failed.stdout, failed.stdout + failed.stderr[-2000:]


def test_the_records_it_could_not_write_are_dead_letters_naming_them(outage):
    failed, dead, *_ = outage
    assert dead, failed.stdout + failed.stderr[-3000:]
    assert all(d.entity.startswith("tryton/") and d.key and d.retryable for d in dead)


def test_a_re_run_after_the_restart_converges_with_no_duplicate_and_no_half_bom(outage, tryton_spec):
    _, _, again, cli_env, server = outage
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    desired = mapped_plm(cli_env, tryton_spec, [ASSEMBLY])
    codes = [p["code"] for p in PlainRpc(server).search_read("product.product", [], ["code"])]
    contents = tryton_contents(server)

    assert sorted(codes) == sorted(set(codes)) and set(codes) == set(desired["material"])  # each product once
    for material in {i["Material"] for i in desired["bom_item"].values()}:
        [bom_id] = contents["current"][material]  # one current BOM per product, complete
        wanted = {i["BillOfMaterialComponent"] for i in desired["bom_item"].values() if i["Material"] == material}
        assert set(contents["boms"][bom_id]["lines"]) == wanted
