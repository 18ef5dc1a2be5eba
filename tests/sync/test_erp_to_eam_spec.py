"""mappings/erp_to_eam.yaml: the shipped spec reads, and a wrong one names the file and the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from click.testing import CliRunner

from orchestration.cli_mappings import mappings
from sync.erp_to_eam_spec import load_erp_to_eam_spec, parse_erp_to_eam_spec
from sync.maintenance_spec import MaintenanceSpecError
from tests.sync.helpers import SPEC_PATH

SHIPPED = SPEC_PATH.parent / "erp_to_eam.yaml"


def shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_spec_declares_owner_direction_and_rule_per_field():
    spec = load_erp_to_eam_spec(SHIPPED)
    owners = {f.name: (f.owner, f.direction, f.on_wrong_side) for f in spec.fields}
    assert owners["cost_centre"] == ("erp", "erp_to_eam", "revert")
    assert owners["acquisition_value"] == ("erp", "erp_to_eam", "conflict")
    assert owners["location"] == ("eam", "eam_to_erp", "revert")
    assert spec.storage_locations("P1000") == {("1000", "0001"): "CENTRAL", ("1000", "0002"): "MAINT"}


def test_units_convert_erp_base_units_to_eam_issue_units_and_refuse_unknown_pairs():
    spec = load_erp_to_eam_spec(SHIPPED)
    assert spec.factor("X", "M", "CM") == Decimal(100)
    assert spec.factor("X", "EA", "EA") == Decimal(1)
    with pytest.raises(ValueError, match="item X: no conversion from ERP unit 'KG' to EAM issue unit 'EA'"):
        spec.factor("X", "KG", "EA")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("asset_master", "fields", "location", "owner"), "plm", "asset_master.fields.location.owner"),
        (("asset_master", "fields", "location", "direction"), "erp_to_eam", "asset_master.fields.location.direction"),
        (
            ("asset_master", "fields", "cost_centre", "on_wrong_side"),
            "ignore",
            "asset_master.fields.cost_centre.on_wrong_side",
        ),
        (("units", "conversions"), [{"erp_unit": "M", "eam_unit": "CM", "factor": 0}], "units.conversions[0]"),
        (("stock", "pending_transactions"), "overwrite", "stock.pending_transactions"),
        (("asset_master", "overlap_rowstamps"), -1, "asset_master.overlap_rowstamps"),
    ],
)
def test_a_wrong_spec_names_the_file_and_the_field(path, value, field):
    raw = shipped()
    node = raw
    for name in path[:-1]:
        node = node[name]
    node[path[-1]] = value
    with pytest.raises(MaintenanceSpecError) as err:
        parse_erp_to_eam_spec(raw, "erp_to_eam.yaml")
    assert err.value.file == "erp_to_eam.yaml" and err.value.field == field


def test_mappings_check_reports_a_wrong_erp_to_eam_spec(tmp_path):
    raw = shipped()
    raw["asset_master"]["fields"]["status"]["owner"] = "erp"
    bad = tmp_path / "erp_to_eam.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(mappings, ["check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: field 'asset_master.fields.status.direction'" in result.output
