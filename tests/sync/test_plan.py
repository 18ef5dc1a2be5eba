"""Plans: deltas, dependency order, target edits under conflict rules, plain-data round trips."""

from __future__ import annotations

import json
from dataclasses import replace

from sync.applied import applied_changes
from sync.mapping import map_released_bom
from sync.plan import Plan
from sync.planner import build_plan
from sync.spec_builder import parse_spec
from tests.sync.helpers import default_spec, flat_bom, line, part, sync_once

SPEC = default_spec()


def _synced(parts, lines, use_snapshot=False):
    target, stored = {}, {}
    _plan, stored = sync_once(SPEC, parts, lines, target, stored, use_snapshot)
    return target, stored


def test_first_sync_creates_everything_materials_first_and_children_before_parents():
    parts = [part("TOP", category="Assembly"), part("SUB", category="Subassembly"), part("BOLT")]
    lines = [line("TOP", 10, "SUB"), line("SUB", 10, "BOLT")]
    plan = build_plan(SPEC, map_released_bom(SPEC, parts, lines).desired(), {})
    assert plan.counts()["create"] == 3 + 2 + 2
    order = [(i.entity, i.key) for i in plan.items]
    assert [e for e, _ in order[:3]] == ["material"] * 3
    assert order.index(("bom_header", "SUB|1000|1")) < order.index(("bom_header", "TOP|1000|1"))
    assert order.index(("bom_header", "SUB|1000|1")) < order.index(("bom_item", "SUB|1000|1|0010"))


def test_changing_three_lines_of_a_200_line_bom_plans_exactly_three_updates():
    parts, lines = flat_bom(200)
    _target, stored = _synced(parts, lines)
    lines[5] = replace(lines[5], quantity=lines[5].quantity + 1)
    lines[50] = replace(lines[50], notes="now with thread lock")
    lines[150] = replace(lines[150], ref_des="X9")
    plan = build_plan(SPEC, map_released_bom(SPEC, parts, lines).desired(), stored)
    assert plan.counts() == {"create": 0, "update": 3, "delete": 0, "unchanged": 201 + 1 + 200 - 3, "conflict": 0}
    assert [i.changed_fields for i in plan.changes()] == [
        ("BillOfMaterialItemQuantity",),
        ("BOMItemDescription",),
        ("BOMItemText2",),
    ]


def test_changing_the_description_transform_replans_every_material_and_nothing_else():
    parts, lines = flat_bom(20)
    _target, stored = _synced(parts, lines)
    raw = json.loads(json.dumps(SPEC.raw))
    field = next(f for f in raw["entities"]["material"]["fields"] if f["target"] == "ProductDescription")
    field["transforms"] = ["trim", "upper", {"truncate": 40}]
    spec2 = parse_spec(raw, SPEC.file)
    plan = build_plan(spec2, map_released_bom(spec2, parts, lines).desired(), stored)
    assert {(i.entity, i.op) for i in plan.changes()} == {("material", "update")}
    assert plan.counts()["update"] == 21 and spec2.version != SPEC.version


def test_removed_line_is_deleted_but_its_material_is_kept():
    parts, lines = flat_bom(3)
    _target, stored = _synced(parts, lines)
    plan = build_plan(SPEC, map_released_bom(SPEC, parts, lines[:2]).desired(), stored)
    assert [(i.entity, i.key, i.op) for i in plan.changes()] == [("bom_item", "ASM-1|1000|1|0030", "delete")]


def test_renumbered_line_is_an_update_of_the_same_item_not_delete_and_create():
    parts, lines = flat_bom(3)
    target, stored = _synced(parts, lines)
    lines[1] = replace(lines[1], find_number=25)
    plan, _ = sync_once(SPEC, parts, lines, target, stored)
    (item,) = plan.changes()
    assert (item.op, item.key, item.previous_key, item.changed_fields) == (
        "update",
        "ASM-1|1000|1|0025",
        "ASM-1|1000|1|0020",
        ("BillOfMaterialItemNumber",),
    )
    ops = [c.operation for c in applied_changes(item)]
    assert ops == ["delete", "update"]  # forget the old key, record the new one under the same ERP id


def _edited_in_target(rule: str, field: str = "ProductDescription", source_name: str | None = None):
    raw = json.loads(json.dumps(SPEC.raw))
    next(f for f in raw["entities"]["material"]["fields"] if f["target"] == field)["conflict"] = rule
    spec = parse_spec(raw, SPEC.file)
    parts = [part("P1", name="Bracket")]
    target, stored = {}, {}
    _, stored = sync_once(spec, parts, [], target, stored)
    target["material"]["P1"][field] = "Bracket (ERP edit)"
    if source_name:
        parts = [part("P1", name=source_name)]
    plan = build_plan(spec, map_released_bom(spec, parts, []).desired(), stored, target)
    return plan


def test_target_edit_is_overwritten_under_source_wins():
    plan = _edited_in_target("source_wins")
    (item,) = plan.items
    assert item.patch == {"ProductDescription": "Bracket"}
    assert item.decisions[0].outcome == "source" and not plan.conflicts


def test_target_edit_stands_under_target_wins():
    plan = _edited_in_target("target_wins")
    assert plan.is_noop and plan.items[0].decisions[0].outcome == "target"


def test_manual_lists_a_conflict_and_writes_nothing_for_that_field():
    plan = _edited_in_target("manual", source_name="Bracket, zinc plated")
    (conflict,) = plan.conflicts
    assert (conflict.key, conflict.field, conflict.target_value, conflict.source_value) == (
        "P1",
        "ProductDescription",
        "Bracket (ERP edit)",
        "Bracket, zinc plated",
    )
    assert "ProductDescription" not in plan.items[0].patch


def test_merge_keeps_a_target_only_edit_and_escalates_when_both_sides_changed():
    assert _edited_in_target("merge").is_noop
    both = _edited_in_target("merge", source_name="Bracket v2")
    assert [c.field for c in both.conflicts] == ["ProductDescription"] and "both sides" in both.conflicts[0].reason


def test_item_deleted_directly_in_the_target_is_recreated():
    parts, lines = flat_bom(2)
    target, stored = _synced(parts, lines)
    del target["bom_item"]["ASM-1|1000|1|0010"]
    plan, _ = sync_once(SPEC, parts, lines, target, stored)
    assert [(i.key, i.op) for i in plan.changes()] == [("ASM-1|1000|1|0010", "create")]


def test_plan_round_trips_through_json_and_shows_as_frame_and_text():
    parts, lines = flat_bom(3)
    _target, stored = _synced(parts, lines)
    lines[0] = replace(lines[0], find_number=15)
    plan = _edited_plan = build_plan(SPEC, map_released_bom(SPEC, parts, lines).desired(), stored)
    assert Plan.from_json(plan.to_json()) == _edited_plan
    frame = plan.to_frame()
    assert list(frame.columns[:4]) == ["entity", "key", "op", "changed_fields"] and len(frame) == len(plan.items)
    assert json.loads(frame.loc[frame.op == "update", "after"].iloc[0])["BillOfMaterialItemNumber"] == "0015"
    assert "update    bom_item   ASM-1|1000|1|0015" in plan.to_table_text()
