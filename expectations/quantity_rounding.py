"""Quantities the ERP cannot keep as the PLM gives them: a BOM line's PLM quantity (in the ERP's unit) that has
more decimals than the ERP's BOM item quantity keeps, so what is written differs (1.123456789012345 -> 1.123;
0.0004 EA -> 0.000, which the ERP refuses). Compared with the plan's item writes, one row per item written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from expectations.erp_frames import WRITE_OPS, decimal_text
from sync.keys import bom_item_key, item_number

COLUMNS = ["key", "plm_quantity", "written_quantity", "rounding"]


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _plain(number: Decimal) -> str:
    return decimal_text(number) or "0"


def rounding_frame(
    plan: pd.DataFrame, plm_bom_lines: pd.DataFrame, units: Mapping[str, Any], address: Mapping[str, Any], decimals: int
) -> pd.DataFrame:
    """Per BOM item the plan writes: the PLM quantity converted to the ERP's unit, what is written, and in
    `rounding` a sentence when the two differ (None when the ERP keeps the PLM's value exactly). `address`: the
    spec's constant Plant and BillOfMaterialVariantUsage of BOM items."""
    wanted = plan[(plan["entity"] == "bom_item") & (plan["op"].isin(WRITE_OPS))]
    written = {
        key: json.loads(after) if after else {} for key, after in zip(wanted["key"], wanted["after"], strict=True)
    }
    rows = []
    for line in plm_bom_lines.to_dict("records"):
        key = bom_item_key(
            str(line["parent_number"]).strip(),
            str(address.get("Plant", "1000")),
            str(address.get("BillOfMaterialVariantUsage", "1")),
            item_number(line["find_number"]),
        )
        if key not in written:
            continue
        conversion = units.get(line["uom"])
        quantity = _decimal(line["quantity"])
        erp_quantity = _decimal(written[key].get("BillOfMaterialItemQuantity"))
        if conversion is None or quantity is None or erp_quantity is None:
            continue  # unmapped units and bad numbers are other expectations' findings
        exact = quantity * conversion.factor
        unit = written[key].get("BillOfMaterialItemUnit") or conversion.to
        rounding = None
        if exact != erp_quantity:
            converted = f" ({_plain(exact)} {unit})" if unit != line["uom"] or conversion.factor != 1 else ""
            zero = " (0 at the ERP's precision: the ERP refuses it)" if erp_quantity == 0 else ""
            rounding = (
                f"PLM {_plain(quantity)} {line['uom']}{converted} is written as "
                f"{erp_quantity.quantize(Decimal(1).scaleb(-decimals))} {unit}: the ERP keeps "
                f"{decimals} decimals{zero}"
            )
        rows.append(
            {
                "key": key,
                "plm_quantity": f"{_plain(quantity)} {line['uom']}",
                "written_quantity": f"{_plain(erp_quantity)} {unit}",
                "rounding": rounding,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS).astype(object)


def rounding_expectations(decimals: int) -> list:
    import great_expectations.expectations as gxe

    from expectations.settings import WARNING

    return [
        gxe.ExpectColumnValuesToBeNull(
            column="rounding",
            severity=WARNING,
            description=f"BOM quantities are written as the PLM gives them (the ERP keeps {decimals} decimals)",
        )
    ]
