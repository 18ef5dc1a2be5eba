"""PLMClient / PLMResource against the sandbox PLM over real HTTP: reads, sessions, faults, changes,
connection checks and secret-free logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
import pytest

from resources.plm import PLMResource
from resources.transport import AuthError, NotFoundError, RetryableError, ServiceUnavailableError
from tests.resources.plm_fixtures import TEST_PASSWORD, ArenaWriter, demo_catalog, running_plm, tops_above

SHARED_MOTOR_MOUNT = "ASM-10006"  # demo catalog: used by the pump skid and the conveyor module


@pytest.fixture(scope="module")
def catalog():
    return demo_catalog()


@pytest.fixture(scope="module")
def shared():
    """One sandbox for the tests that only read and leave faults and settings alone."""
    with running_plm() as sandbox:
        yield sandbox


@pytest.fixture
def plm():
    """A fresh sandbox for tests that change faults, settings or data."""
    with running_plm() as sandbox:
        yield sandbox


# --- reads -------------------------------------------------------------------------------------------


def test_iter_items_pages_to_the_last_item(shared):
    with shared.resource(page_size=100).client() as client:
        numbers = [item["number"] for item in client.iter_items()]
        calls = client.metrics.snapshot()["routes"]["GET /v1/items"]["calls"]
    assert len(numbers) == len(set(numbers)) == shared.system.summary()["items"]
    assert calls == len(numbers) // 100 + 1


def test_iter_items_filters_by_category_and_wildcard_number(shared, catalog):
    with shared.resource().client() as client:
        assemblies = {i["number"] for i in client.iter_items(category="Assembly")}
        asm_numbers = {i["number"] for i in client.iter_items(number="ASM-*")}
    assert assemblies == {p.number for p in catalog.parts if p.category == "Assembly"}
    assert asm_numbers == {p.number for p in catalog.parts if p.number.startswith("ASM-")}


def test_item_by_number_returns_the_item_or_raises_not_found(shared):
    with shared.resource().client() as client:
        item = client.item_by_number(SHARED_MOTOR_MOUNT)
        assert item["number"] == SHARED_MOTOR_MOUNT and item["additionalAttributes"]
        with pytest.raises(NotFoundError, match="NO-SUCH-PART"):
            client.item_by_number("NO-SUCH-PART")


def test_revisions_bom_and_where_used_read_the_item(shared, catalog):
    with shared.resource().client() as client:
        guid = client.item_by_number(SHARED_MOTOR_MOUNT)["guid"]
        statuses = {r["status"] for r in client.revisions(guid)}
        bom = client.bom(guid)
        parents = {line["item"]["number"] for line in client.where_used(guid)}
    assert {0, 1} <= statuses  # a working and an effective revision
    assert [ln["item"]["number"] for ln in bom] == [b.component for b in catalog.children(SHARED_MOTOR_MOUNT)]
    assert parents == {b.parent for b in catalog.bom_lines if b.component == SHARED_MOTOR_MOUNT}


def test_released_top_assemblies_are_the_catalog_tops(shared, catalog):
    with shared.resource().client() as client:
        assert client.released_top_assemblies() == sorted(catalog.top_assemblies)


# --- sessions, faults ----------------------------------------------------------------------------------


def test_session_expiring_mid_run_is_renewed(plm):
    with plm.resource().client() as client:
        first = client.item_by_number(SHARED_MOTOR_MOUNT)
        plm.control("POST", "expire", {"credentials": "sessions"})
        assert client.get_item(first["guid"])["number"] == SHARED_MOTOR_MOUNT
    events = client.metrics.snapshot()["events"]
    assert events["login"] == 2 and events["logout"] == 1


def test_close_logs_out(plm):
    client = plm.resource().client()
    client.item_by_number(SHARED_MOTOR_MOUNT)
    assert len(plm.session_ids()) == 1
    client.close()
    assert plm.session_ids() == set()


def test_429_with_retry_after_is_waited_out(plm):
    with plm.resource().client() as client:
        guid = client.item_by_number(SHARED_MOTOR_MOUNT)["guid"]
        plm.faults(rate_limit=2, rate_window_s=4)
        for _ in range(2):  # someone else uses up the window: our next call meets a 429
            httpx.get(f"{plm.url}/v1/items", timeout=10)
        assert client.get_item(guid)["guid"] == guid
        metrics = client.metrics.snapshot()
    assert metrics["status"]["429"] >= 1 and plm.stats()["status_counts"]["429"] >= 1
    assert metrics["retry_wait_s"] >= 1.0  # the sandbox's Retry-After is at least one second


def test_full_outage_raises_a_retryable_error_after_the_retries(plm):
    with plm.resource(max_attempts=4).client() as client:
        guid = client.item_by_number(SHARED_MOTOR_MOUNT)["guid"]
        plm.faults(outage=True)
        with pytest.raises(ServiceUnavailableError) as info:
            client.bom(guid)
        metrics = client.metrics.snapshot()
    err = info.value
    assert isinstance(err, RetryableError) and err.retryable and err.status == 503
    assert err.route == "/v1/items/{guid}/bom"
    assert metrics["routes"]["GET /v1/items/{guid}/bom"]["attempts"] == 4 and metrics["retries"] == 3


def test_outage_retries_stop_at_the_total_budget(plm):
    plm.faults(outage=True)
    with plm.resource(
        max_attempts=1000, backoff_initial_s=0.05, backoff_max_s=0.05, total_budget_s=0.5
    ).client() as client:
        with pytest.raises(ServiceUnavailableError):
            client.get_item("ANYGUID")
        retries = client.metrics.snapshot()["retries"]
    assert 1 <= retries < 999


# --- changes -------------------------------------------------------------------------------------------


def test_effective_changes_since_and_their_top_assemblies(plm, catalog):
    since = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    leaf = catalog.children(SHARED_MOTOR_MOUNT)[0].component
    changed = [SHARED_MOTOR_MOUNT, "ASM-10004", leaf]
    writer = ArenaWriter(plm)
    try:
        change = writer.release_change("Motor mount bolt pattern", changed)
    finally:
        writer.close()
    with plm.resource().client() as client:
        changes = client.effective_changes_since(since)
        assert len(client.effective_changes_since(None)) == len(changes) + sum(
            c.status == "EFFECTIVE" for c in catalog.changes
        )
        tops = client.affected_top_assemblies(a.number for a in changes[0].affected_items)
        where_used_calls = client.metrics.snapshot()["routes"]["GET /v1/items/{guid}/whereused"]["calls"]
    assert [c.number for c in changes] == [change["number"]]
    order = changes[0]
    assert order.status == "EFFECTIVE" and order.effective_at >= since
    assert {a.number: (a.old_revision, a.new_revision) for a in order.affected_items} == {
        n: (catalog.part(n).revision, chr(ord(catalog.part(n).revision) + 1)) for n in changed
    }
    assert tops == {n: tops_above(catalog, n) for n in changed}
    assert tops[SHARED_MOTOR_MOUNT] == {"ASM-10001", "ASM-10002"} and tops["ASM-10004"] == {"ASM-10004"}
    assert where_used_calls == len(with_ancestors(catalog, changed))  # each item's where-used read once


def with_ancestors(catalog, numbers: list[str]) -> set[str]:
    found, stack = set(numbers), list(numbers)
    while stack:
        number = stack.pop()
        for parent in {b.parent for b in catalog.bom_lines if b.component == number} - found:
            found.add(parent)
            stack.append(parent)
    return found


# --- connection checks, config, secrets -----------------------------------------------------------------


def test_test_connection_proves_login_and_read_access(shared):
    facts = shared.resource().test_connection()
    assert facts["ok"] is True and facts["items_readable"] is True
    assert facts["workspace_id"] == shared.settings.workspace_id


def test_test_connection_reports_refused_login_without_the_password(shared):
    facts = shared.resource(password="wrong-password-123").test_connection()
    assert facts["ok"] is False and facts["error"]["type"] == AuthError.__name__
    assert facts["error"]["code"] == "4001"
    assert "wrong-password-123" not in repr(facts)


def test_from_env_reads_the_mfg_sync_plm_variables(shared, monkeypatch):
    monkeypatch.setenv("MFG_SYNC_PLM_URL", shared.url)
    monkeypatch.setenv("MFG_SYNC_PLM_PASSWORD", TEST_PASSWORD)
    monkeypatch.setenv("MFG_SYNC_PLM_WORKSPACE_ID", str(shared.settings.workspace_id))
    resource = PLMResource.from_env(rate_limit_requests=1000)
    assert isinstance(resource.password, dg.EnvVar) and resource.url == shared.url
    assert resource.test_connection()["ok"] is True


def test_from_env_defaults_to_the_sandbox(monkeypatch):
    for var in ("MFG_SYNC_PLM_URL", "MFG_SYNC_PLM_EMAIL", "MFG_SYNC_PLM_PASSWORD", "MFG_SYNC_PLM_WORKSPACE_ID"):
        monkeypatch.delenv(var, raising=False)
    resource = PLMResource.from_env()
    assert (resource.url, resource.email, resource.workspace_id) == (
        "http://127.0.0.1:8101",
        "engineer@sandbox.example",
        100001,
    )


def test_resource_works_inside_a_dagster_asset(shared, monkeypatch):
    monkeypatch.setenv("MFG_SYNC_PLM_PASSWORD", TEST_PASSWORD)

    @dg.asset
    def motor_mount_bom(context, plm_api: PLMResource) -> int:
        with plm_api.client(correlation_id=context.run_id, logger=context.log) as client:
            bom = client.released_bom(SHARED_MOTOR_MOUNT)
            context.add_output_metadata({"calls": client.metrics.snapshot()["calls"]})
        return len(bom.lines)

    resource = shared.resource(password=dg.EnvVar("MFG_SYNC_PLM_PASSWORD"))
    result = dg.materialize([motor_mount_bom], resources={"plm_api": resource})
    assert result.success and result.output_for_node("motor_mount_bom") > 0


def test_no_secret_reaches_any_log_line(plm, caplog):
    caplog.set_level(logging.DEBUG)
    sessions: set[str] = set()
    with plm.resource().client() as client:
        client.released_bom(SHARED_MOTOR_MOUNT)
        sessions |= plm.session_ids()
        plm.control("POST", "expire", {"credentials": "sessions"})
        client.item_by_number(SHARED_MOTOR_MOUNT)  # expired: logs in again
        sessions |= plm.session_ids()
    plm.resource(password="Wr0ng-" + TEST_PASSWORD).test_connection()
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert len(sessions) == 2 and "session login" in caplog.text
    assert TEST_PASSWORD not in text
    for session_id in sessions:
        assert session_id not in text
    assert httpx.__name__ in {r.name for r in caplog.records}  # httpx's own request lines were captured
