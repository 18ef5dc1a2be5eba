"""The incremental PLM extract against a real sandbox PLM over HTTP: what a re-sync reads, and that what it
returns always equals a full walk. PLM calls are counted by the sandbox itself (`/_sandbox/stats`)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from resources.plm.change_feed import shared_change_feed
from resources.plm.extract_cache import released_bom, released_top_assemblies
from resources.state import StateStore
from tests.resources.plm_fixtures import demo_catalog, running_plm

TOP = "ASM-10001"


@pytest.fixture(scope="module")
def plm():
    with running_plm() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache for the module, as one state store serves every run: each test starts from what the last read."""
    store = StateStore(f"sqlite:///{tmp_path_factory.mktemp('incr') / 'state.db'}")
    yield store.plm_cache
    store.dispose()


def extract(plm, cache, number=TOP, full=False):
    """(released BOM, extract stats, PLM calls by route) of one extract with fresh counters."""
    plm.reset_stats()
    with plm.resource().client() as client:
        released, stats = released_bom(client, number, cache, full=full)
    return released, stats, plm.stats()["calls"]


def full_walk(plm, number=TOP):
    with plm.resource().client() as client:
        return client.released_bom(number)


def deepest_assembly(plm, number=TOP) -> str:
    bom = full_walk(plm, number)
    return max(bom.lines, key=lambda line: line.level).parent_number


class Editor:
    """Edits the sandbox PLM as an engineer would: change orders through the API, then release."""

    def __init__(self, plm) -> None:
        self.http = httpx.Client(base_url=f"{plm.url}/v1", timeout=30)
        login = {"email": plm.settings.email, "password": plm.settings.password, "workspaceId": 100001}
        self.http.headers["arena_session_id"] = self.http.post("/login", json=login).json()["arenaSessionId"]

    def item(self, number: str) -> dict:
        return self.http.get("/items", params={"number": number}).json()["results"][0]

    def working_guid(self, guid: str) -> str:
        revisions = self.http.get(f"/items/{guid}/revisions").json()["results"]
        return next(r["guid"] for r in revisions if r["status"] == 0)

    def release(self, number: str, edit) -> None:
        item = self.item(number)
        change = self.http.post("/changes", json={"title": f"edit {number}", "items": [{"item": item}]})
        change.raise_for_status()
        edit(self.working_guid(item["guid"]))
        status = {"change": {"guid": change.json()["guid"]}, "status": "EFFECTIVE"}
        self.http.post("/changes/statuschanges", json=status).raise_for_status()

    def requantify(self, number: str) -> None:
        def edit(working: str) -> None:
            line = self.http.get(f"/items/{working}/bom").json()["results"][0]
            body = {"item": {"guid": line["item"]["guid"]}, "quantity": float(Decimal(str(line["quantity"])) + 1)}
            self.http.put(f"/items/{working}/bom/{line['guid']}", json=body).raise_for_status()

        self.release(number, edit)


@pytest.fixture(scope="module")
def editor(plm):
    e = Editor(plm)
    yield e
    e.http.close()


def test_a_no_op_re_sync_reads_only_the_change_feed(plm, cache):
    first, stats, _ = extract(plm, cache)
    again, stats, calls = extract(plm, cache)
    assert again == first
    assert stats.mode == "incremental" and stats.items_read == 0 and stats.boms_read == 0
    assert calls == {"POST /v1/login": 1, "GET /v1/changes": 1, "PUT /v1/logout": 1}


def test_discovery_on_a_no_op_reads_only_the_change_feed_and_one_feed_read_serves_a_whole_invocation(plm, cache):
    tops = released_top_assemblies_once(plm, cache)
    assert tops == sorted(demo_catalog().top_assemblies)
    for number in tops:
        extract(plm, cache, number)
    plm.reset_stats()
    with shared_change_feed():
        with plm.resource().client() as client:
            assert released_top_assemblies(client, cache) == tops
        for number in tops:
            with plm.resource().client() as client:
                released_bom(client, number, cache)
    assert plm.stats()["calls"] == {"POST /v1/login": 1, "GET /v1/changes": 1, "PUT /v1/logout": 1}


def released_top_assemblies_once(plm, cache) -> list[str]:
    with plm.resource().client() as client:
        return released_top_assemblies(client, cache)


def test_a_change_deep_in_the_tree_re_reads_only_that_assembly(plm, cache, editor):
    extract(plm, cache)
    deep = deepest_assembly(plm)
    editor.requantify(deep)
    released, stats, calls = extract(plm, cache)
    assert released == full_walk(plm)
    assert (stats.items_read, stats.boms_read) == (1, 1)  # the new revision of `deep` and its BOM
    assert calls["GET /v1/items/{guid}/bom"] == 1 and calls["GET /v1/items/{guid}"] == 1
    assert (
        sum(calls.values()) == 6
    )  # login, feed, its affected items, item, BOM, logout: the change number is the feed's


def test_the_top_assembly_changing_is_read_again(plm, cache, editor):
    top = "ASM-10002"  # the demo holds ASM-10001 in an open change
    before, _, _ = extract(plm, cache, top)
    editor.requantify(top)
    released, stats, _ = extract(plm, cache, top)
    assert released == full_walk(plm, top)
    assert released.assembly.revision != before.assembly.revision
    assert (stats.items_read, stats.boms_read) == (1, 1)


def test_a_working_revision_is_never_served_from_the_cache(plm, cache, editor):
    part = editor.http.post("/items", json={"number": "PRT-INC-WIP", "name": "Bracket, draft", "uom": "EA"}).json()
    deep = deepest_assembly(plm)

    def add_line(working: str) -> None:
        editor.http.post(f"/items/{working}/bom", json={"item": {"guid": part["guid"]}, "quantity": 1})

    editor.release(deep, add_line)  # the parent is released; the new part stays a working revision
    extract(plm, cache)
    editor.http.put(f"/items/{part['guid']}", json={"name": "Bracket, draft 2"}).raise_for_status()
    released, stats, calls = extract(plm, cache)
    assert {p.number: p.name for p in released.parts}["PRT-INC-WIP"] == "Bracket, draft 2"
    assert stats.items_read == 1 and calls["GET /v1/items/{guid}"] == 1
    assert not cache.get("item", [("PRT-INC-WIP", "")])


def test_full_extract_reads_everything_again(plm, cache):
    extract(plm, cache)
    released, stats, calls = extract(plm, cache, full=True)
    assert released == full_walk(plm)
    assert stats.mode == "full" and stats.items_cached == 0 and stats.boms_cached == 0
    assemblies = {line.parent_number for line in released.lines}
    assert (stats.items_read, stats.boms_read) == (len(released.parts), len(assemblies))
    assert calls["GET /v1/items/{guid}/bom"] == len(assemblies)
    assert calls["GET /v1/items/{guid}/revisions"] == len(assemblies)
