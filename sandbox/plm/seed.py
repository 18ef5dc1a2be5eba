"""Load a seed catalog into the PLM store: items, revision history, effective and working BOMs, changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sandbox.catalog import Catalog, CatalogPart, build_catalog
from sandbox.plm.store import EFFECTIVE, SUPERSEDED, WORKING, PLMStore, seeded_guid

SEED_EPOCH = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)  # seeded history starts here; fixed so seeds are reproducible


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _letters_up_to(revision: str) -> list[str]:
    """Past and current letters: "C" -> ["A", "B", "C"]."""
    return [chr(c) for c in range(ord("A"), ord(revision) + 1)] if revision.isalpha() else [revision]


def seed_store(store: PLMStore, profile: str, seed: int, **params: int) -> Catalog:
    """Replace the store's data with the catalog for (profile, seed, params)."""
    catalog = build_catalog(profile, seed, **params)
    store.clear_data()
    item_ids = {p.number: i for i, p in enumerate(catalog.parts, start=1)}
    effective_change = {n: ch for ch in catalog.changes if ch.status == "EFFECTIVE" for n in ch.affected}
    change_day = {ch.number: i for i, ch in enumerate(catalog.changes)}
    revisions, bom_lines = [], []
    with store.tx() as c:
        c.executemany(
            "INSERT INTO items(id, number, name, description, category, uom, make_buy, attributes, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    item_ids[p.number],
                    p.number,
                    p.name,
                    p.name,
                    p.category,
                    p.uom,
                    p.make_buy,
                    json.dumps(p.attributes, sort_keys=True),
                    iso(SEED_EPOCH),
                )
                for p in catalog.parts
            ],
        )
        lines_by_parent: dict[str, list] = {}
        for line in catalog.bom_lines:
            lines_by_parent.setdefault(line.parent, []).append(line)
        for part in catalog.parts:
            revs = _revision_rows(part, item_ids[part.number], effective_change, change_day, seed)
            revisions.extend(revs)
            for rev in revs:
                for line in lines_by_parent.get(part.number, ()):
                    bom_lines.append(
                        (
                            seeded_guid(seed, "line", rev[0], line.find_number),
                            rev[0],
                            line.find_number,
                            item_ids[line.component],
                            str(line.quantity),
                            line.ref_des,
                            line.notes,
                        )
                    )
        c.executemany(
            "INSERT INTO revisions(guid, item_id, number, status, lifecycle_phase, change_guid, created_at, "
            "effective_at, superseded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            revisions,
        )
        c.executemany(
            "INSERT INTO bom_lines(guid, revision_guid, line_number, component_id, quantity, ref_des, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            bom_lines,
        )
        _insert_changes(c, catalog, item_ids, seed)
        store.set_meta(c, "profile", profile)
        store.set_meta(c, "seed", str(seed))
        store.set_meta(c, "next_change_number", str(1001 + len(catalog.changes)))
    return catalog


def _revision_rows(part: CatalogPart, item_id: int, effective_change: dict, change_day: dict, seed: int) -> list:
    """Superseded history, the effective revision and an open working revision (for released parts)."""
    rows = []
    if part.lifecycle_phase == "In Design":  # never released: only a working revision
        return [
            (
                seeded_guid(seed, "rev", part.number, "working"),
                item_id,
                None,
                WORKING,
                "In Design",
                None,
                iso(SEED_EPOCH),
                None,
                None,
            )
        ]
    letters = _letters_up_to(part.revision)
    change = effective_change.get(part.number)
    released_at = SEED_EPOCH + timedelta(days=change_day[change.number] * 3 + 1) if change else SEED_EPOCH
    for i, letter in enumerate(letters):
        start = SEED_EPOCH - timedelta(days=30 * (len(letters) - i))
        current = i == len(letters) - 1
        effective_at = released_at if current else start
        superseded_at = (
            None
            if current
            else (SEED_EPOCH - timedelta(days=30 * (len(letters) - i - 1)) if i < len(letters) - 2 else released_at)
        )
        change_guid = seeded_guid(seed, "change", change.number) if current and change else None
        rows.append(
            (
                seeded_guid(seed, "rev", part.number, letter),
                item_id,
                letter,
                EFFECTIVE if current else SUPERSEDED,
                part.lifecycle_phase,
                change_guid,
                iso(start),
                iso(effective_at),
                iso(superseded_at) if superseded_at else None,
            )
        )
    rows.append(
        (
            seeded_guid(seed, "rev", part.number, "working"),
            item_id,
            None,
            WORKING,
            part.lifecycle_phase,
            None,
            iso(released_at),
            None,
            None,
        )
    )
    return rows


def _insert_changes(c, catalog: Catalog, item_ids: dict[str, int], seed: int) -> None:
    part_by_number = {p.number: p for p in catalog.parts}
    for day, change in enumerate(catalog.changes):
        guid = seeded_guid(seed, "change", change.number)
        effective = change.status == "EFFECTIVE"
        created = SEED_EPOCH + timedelta(days=day * 3)
        c.execute(
            "INSERT INTO changes(guid, number, title, description, status, created_at, effective_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                guid,
                change.number,
                change.title,
                change.title,
                "EFFECTIVE" if effective else "OPEN_AND_UNLOCKED",
                iso(created),
                iso(created + timedelta(days=1)) if effective else None,
            ),
        )
        for position, number in enumerate(change.affected, start=1):
            part = part_by_number[number]
            letters = _letters_up_to(part.revision)
            if effective:
                old = seeded_guid(seed, "rev", number, letters[-2]) if len(letters) > 1 else None
                new_number, new_guid = part.revision, seeded_guid(seed, "rev", number, part.revision)
            else:
                released = part.lifecycle_phase != "In Design"
                old = seeded_guid(seed, "rev", number, part.revision) if released else None
                new_number = chr(ord(part.revision) + 1) if released else "A"
                new_guid = None
            c.execute(
                "INSERT INTO change_items(guid, change_guid, item_id, position, old_revision_guid, "
                "new_revision_number, new_revision_guid) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    seeded_guid(seed, "ci", change.number, number),
                    guid,
                    item_ids[number],
                    position,
                    old,
                    new_number,
                    new_guid,
                ),
            )
