"""The demo assembly ASM-10002 synced from the PLM sandbox to a real Tryton, read back over plain JSON-RPC."""

import math
from decimal import Decimal

import pytest

from resources.erp.tryton.flow import sync_bom
from sync.keys import split_key
from sync.mapping import map_released_bom

from .support import released_bom, resource, tryton_contents, write_calls

pytestmark = pytest.mark.tryton
ASSEMBLY = "ASM-10002"


@pytest.fixture(scope="module")
def synced(tryton_server, plm_url, tryton_spec):
    """ASM-10002 synced once; yields the mapped PLM data and what a second, identical run did."""
    bom = released_bom(plm_url, ASSEMBLY)
    with resource(tryton_server).client() as tryton:
        first = sync_bom(tryton, tryton_spec, bom.parts, bom.lines)
        first_metrics = tryton.metrics.snapshot()
        after_first = tryton_contents(tryton_server)
        tryton.metrics.reset()
        second = sync_bom(tryton, tryton_spec, bom.parts, bom.lines)
        second_metrics = tryton.metrics.snapshot()
    return {
        "mapped": map_released_bom(tryton_spec, bom.parts, bom.lines),
        "first": first,
        "second": second,
        "contents": after_first,
        "second_metrics": second_metrics,
        "first_metrics": first_metrics,
    }


def test_every_plm_part_is_a_tryton_product_with_its_name_unit_and_producible_flag(synced):
    products = synced["contents"]["products"]
    mapped = synced["mapped"].materials

    assert set(products) == set(mapped)
    for number, material in mapped.items():
        product = products[number]
        assert product["template."]["name"] == material["name"]
        assert product["template."]["default_uom."]["symbol"] == material["default_uom"]
        assert product["template."]["producible"] == material["producible"]
        assert product["template."]["type"] == "goods"


def test_every_plm_bom_is_the_current_tryton_bom_with_every_component_in_tryton_units(synced):
    contents, mapped = synced["contents"], synced["mapped"]
    wanted: dict[str, dict] = {}
    for item in mapped.bom_items.values():
        wanted.setdefault(item["Material"], {})[item["BillOfMaterialComponent"]] = (
            Decimal(item["quantity"]),
            item["unit"],
        )

    assert set(wanted) == {split_key(k)[0] for k in mapped.bom_headers}
    for material, lines in wanted.items():
        [bom_id] = contents["current"][material]
        bom = contents["boms"][bom_id]
        assert bom["lines"] == lines
        assert bom["line_count"] == len(lines)
        assert bom["outputs"] == [
            (material, Decimal(1), contents["products"][material]["template."]["default_uom."]["symbol"])
        ]


def test_each_product_has_exactly_one_active_bom(synced):
    contents = synced["contents"]
    active_by_product: dict[str, int] = {}
    for bom in contents["boms"].values():
        if bom["active"]:
            for product, _, _ in bom["outputs"]:
                active_by_product[product] = active_by_product.get(product, 0) + 1

    assert active_by_product == dict.fromkeys(contents["current"], 1)


def test_a_first_run_creates_in_batches_of_at_most_80_records(synced):
    mapped, calls = synced["mapped"], write_calls(synced["first_metrics"])
    bom_records = len(mapped.bom_headers) * 2 + len(mapped.bom_items)  # header + output line + inputs

    assert synced["first"].counts["materials_created"] == len(mapped.materials)
    assert synced["first"].counts["bom_versions_created"] == len(mapped.bom_headers)
    assert calls["model.product.template.create"] == math.ceil(len(mapped.materials) * 2 / 80)  # template + variant
    assert calls["model.production.bom.create"] == math.ceil(bom_records / 80)
    assert calls["model.product.product-production.bom.create"] == calls["model.production.bom.create"]  # per batch


def test_a_second_run_writes_nothing(synced):
    assert write_calls(synced["second_metrics"]) == {}
    assert synced["second"].counts == {
        "materials_created": 0,
        "materials_updated": 0,
        "bom_versions_created": 0,
        "bom_links_switched": 0,
    }
    assert all(not item.changed_fields for item in synced["second"].plan.items)
