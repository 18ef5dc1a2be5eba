"""The PLM extract cache in the state store: entries by (kind, item number, revision), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resources.state import StateStore

READ = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_entries_come_back_by_item_and_revision_with_when_they_were_read(store: StateStore) -> None:
    store.plm_cache.put("bom", {("ASM-1", "B"): [{"lineNumber": 10}], ("ASM-1", "C"): []}, READ)
    found = store.plm_cache.get("bom", [("ASM-1", "B"), ("ASM-1", "A"), ("ASM-2", "B")])
    assert list(found) == [("ASM-1", "B")]
    assert found[("ASM-1", "B")].payload == [{"lineNumber": 10}]
    assert found[("ASM-1", "B")].validated_at == READ
    assert store.plm_cache.get("item", [("ASM-1", "B")]) == {}


def test_touching_an_entry_moves_only_its_confirmation(store: StateStore) -> None:
    store.plm_cache.put("bom", {("ASM-1", "B"): [1], ("ASM-2", "A"): [2]}, READ)
    later = READ + timedelta(hours=6)
    store.plm_cache.touch("bom", [("ASM-1", "B")], later)
    found = store.plm_cache.get("bom", [("ASM-1", "B"), ("ASM-2", "A")])
    assert (found[("ASM-1", "B")].validated_at, found[("ASM-1", "B")].read_at) == (later, READ)
    assert found[("ASM-2", "A")].validated_at == READ


def test_putting_an_entry_again_replaces_it_and_clear_forgets_everything(store: StateStore) -> None:
    store.plm_cache.put("top", {("ASM-1", ""): {"revision": "B"}}, READ)
    store.plm_cache.put("top", {("ASM-1", ""): {"revision": "C"}}, READ + timedelta(minutes=1))
    assert store.plm_cache.get("top", [("ASM-1", "")])[("ASM-1", "")].payload == {"revision": "C"}
    assert store.plm_cache.clear() == 1
    assert store.plm_cache.get("top", [("ASM-1", "")]) == {}
