"""The shop-floor mapping spec: the shipped one reads, a bad one names its file and field."""

from __future__ import annotations

import copy

import pytest
import yaml

from assets.shop_floor_state import DEFAULT_SPEC
from sync.shop_floor_spec import ShopFloorSpecError, load_shop_floor_spec, parse_shop_floor_spec

SHIPPED = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))


def with_change(section: str, field: str, value) -> dict:
    raw = copy.deepcopy(SHIPPED)
    raw[section][field] = value
    return raw


def test_the_shipped_spec_sends_released_orders_and_confirms_completions_finally():
    spec = load_shop_floor_spec(DEFAULT_SPEC)
    assert spec.sync_statuses == ("released",)
    assert spec.close_statuses["technically_completed"] == "CLOSED"
    assert spec.reference("REC-000001") == "MES-REC-000001" and spec.final


@pytest.mark.parametrize(
    ("section", "field", "value", "named"),
    [
        ("product_order", "parameters", {"erpOrder": "order_number"}, "product_order.parameters.erpOrder"),
        ("product_order", "close_statuses", {"closed": "GONE"}, "product_order.close_statuses"),
        ("product_order", "sync_statuses", ["planned"], "product_order.sync_statuses"),
        ("confirmation", "reference_prefix", "MES-CONFIRMATION-KEY-", "confirmation.reference_prefix"),
    ],
)
def test_a_bad_spec_names_its_file_and_field(section, field, value, named):
    with pytest.raises(ShopFloorSpecError) as error:
        parse_shop_floor_spec(with_change(section, field, value), "erp_to_mes.yaml")
    assert str(error.value).startswith(f"erp_to_mes.yaml: {named}:")
