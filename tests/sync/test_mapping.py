"""Mapping parts and BOM lines to ERP payloads; bad records become per-record errors."""

from __future__ import annotations

from decimal import Decimal

from sync.checksum import checksum
from sync.keys import key_of
from sync.mapping import map_released_bom
from sync.target import BomItem, from_payload
from tests.sync.helpers import default_spec, line, part

SPEC = default_spec()


def test_part_becomes_material_with_erp_fields():
    mapped = map_released_bom(SPEC, [part("PRT-1", "mm", "Machined Part", name="  Shaft " + "x" * 50)], [])
    material = mapped.materials["PRT-1"]
    assert material["BaseUnit"] == "M"
    assert material["ProductType"] == "HALB" and material["ProcurementType"] == "E"
    assert len(material["ProductDescription"]) == 40 and material["ProductDescription"].startswith("Shaft")
    assert material["Plant"] == "1000"


def test_bom_line_becomes_item_with_padded_number_converted_quantity_and_texts():
    parts = [part("ASM-1", category="Assembly"), part("ROD", "mm")]
    lines = [line("ASM-1", 10, "ROD", "250", "mm", ref_des="R1 R2", notes="cut to length")]
    mapped = map_released_bom(SPEC, parts, lines)
    item = mapped.bom_items["ASM-1|1000|1|0010"]
    assert (item["BillOfMaterialItemNumber"], item["BillOfMaterialItemQuantity"], item["BillOfMaterialItemUnit"]) == (
        "0010",
        "0.25",
        "M",
    )
    assert (item["BOMItemText2"], item["BOMItemDescription"], item["BillOfMaterialItemCategory"]) == (
        "R1 R2",
        "cut to length",
        "L",
    )
    assert mapped.bom_headers["ASM-1|1000|1"]["BillOfMaterialVariantUsage"] == "1"
    assert key_of("bom_item", item) == "ASM-1|1000|1|0010"
    assert from_payload("bom_item", item) == BomItem(
        "ASM-1", "0010", "ROD", "0.25", "M", BOMItemDescription="cut to length", BOMItemText2="R1 R2"
    )


def test_product_type_comes_from_category_and_make_buy():
    parts = [
        part("A", category="Assembly"),
        part("B", category="Fastener", make_buy="BUY"),
        part("C", category="Subassembly"),
        part("D", category="Assembly", make_buy="BUY"),
    ]
    types = {k: m["ProductType"] for k, m in map_released_bom(SPEC, parts, []).materials.items()}
    assert types == {"A": "FERT", "B": "ROH", "C": "HALB", "D": "HAWA"}


def test_bad_records_yield_errors_and_the_rest_of_the_batch_maps():
    parts = [part("ASM-1", category="Assembly"), part("OK"), part("ODD", "furlong"), part("WHO", make_buy="LEASE")]
    lines = [line("ASM-1", 10, "OK"), line("ASM-1", 20, "OK", "3", "parsec"), line("ASM-1", 30, "MISSING")]
    mapped = map_released_bom(SPEC, parts, lines)
    assert set(mapped.materials) == {"ASM-1", "OK"}
    assert set(mapped.bom_items) == {"ASM-1|1000|1|0010"}
    found = {(e.entity, e.key, e.field, e.code) for e in mapped.errors}
    assert ("material", "ODD", "BaseUnit", "MAPPING_UNIT_UNKNOWN") in found
    assert ("material", "WHO", "ProcurementType", "MAPPING_ENUM_UNMAPPED") in found
    assert ("bom_item", "ASM-1|1000|1|0020", "BillOfMaterialItemQuantity", "MAPPING_UNIT_UNKNOWN") in found
    assert ("bom_item", "ASM-1|1000|1|0030", "BillOfMaterialComponent", "MAPPING_REFERENCE_UNKNOWN") in found
    assert ("bom_item", "ASM-1|1000|1|0020") in mapped.held_keys()


def test_required_value_missing_is_a_mapping_error_that_becomes_a_dead_letter():
    mapped = map_released_bom(SPEC, [part("P", name="   ")], [])
    (error,) = mapped.errors
    assert (error.field, error.code) == ("ProductDescription", "MAPPING_REQUIRED_MISSING")
    dead = error.to_failed_change()
    assert (dead.error_code, dead.retryable, dead.key) == ("MAPPING_REQUIRED_MISSING", False, "P")


def test_checksum_normalises_decimals_and_key_order():
    assert checksum({"q": Decimal("1.50"), "a": 1}) == checksum({"a": 1, "q": Decimal("1.5")})
    assert checksum({"q": "1.50"}) != checksum({"q": "1.5"})  # text is text: the mapper normalises decimals
    mapped = map_released_bom(SPEC, [part("A", category="Assembly"), part("B")], [line("A", 10, "B", "2.500")])
    assert mapped.bom_items["A|1000|1|0010"]["BillOfMaterialItemQuantity"] == "2.5"
