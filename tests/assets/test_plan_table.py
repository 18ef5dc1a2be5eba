"""The plan a person reads: one row per changed field, with the component and its description, and a plain
statement when the table is cut."""

from decimal import Decimal

from sync.plan import PlanItem
from sync.plan_view import field_changes, shown_note
from tests.sync_harness import sync_harness


def test_a_quantity_change_is_one_row_naming_field_before_and_after(tmp_path):
    with sync_harness(tmp_path) as h:
        assert h.sync("ASM-10004").success
        h.release_bom_change("ASM-10004", {20: Decimal("6")})
        result = h.sync("ASM-10004", selection=["plm/parts", "plm/bom_lines", "erp/bom_plan"])
    metadata = result.asset_materializations_for_node("erp__bom_plan")[0].metadata
    rows = [dict(r.data) for r in metadata["changes"].value.records]
    assert len(rows) == 1
    row = rows[0]
    assert (row["op"], row["field"], Decimal(row["after"])) == ("update", "BillOfMaterialItemQuantity", Decimal("6"))
    assert row["component"] and row["description"]
    assert metadata["changes_shown"].value == "all 1 changed fields shown"


def test_an_update_of_two_fields_is_two_rows_and_a_create_is_one():
    update = PlanItem(
        "bom_item",
        "A|1000|1|0020",
        "update",
        {"BillOfMaterialComponent": "PRT-1", "Qty": "4", "Text": "old"},
        {"BillOfMaterialComponent": "PRT-1", "Qty": "6", "Text": "new"},
        changed_fields=("Qty", "Text"),
    )
    create = PlanItem("material", "PRT-2", "create", None, {"Product": "PRT-2", "ProductDescription": "Nut"})
    rows = field_changes([update, create], {"PRT-1": "Bearing", "PRT-2": "Nut"})
    assert [(r["field"], r["before"], r["after"], r["description"]) for r in rows[:2]] == [
        ("Qty", "4", "6", "Bearing"),
        ("Text", "old", "new", "Bearing"),
    ]
    assert rows[2]["field"] == "*" and rows[2]["component"] == "PRT-2"


def test_a_cut_table_says_how_much_is_shown_and_where_the_rest_is():
    assert shown_note(200, 723, "changed fields", "the stored table") == (
        "200 of 723 changed fields shown; all of them: the stored table"
    )
