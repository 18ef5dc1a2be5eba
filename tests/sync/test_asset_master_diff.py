"""ERP equipment vs EAM assets as pure functions: which side changed a field, by the spec's ownership."""

from __future__ import annotations

from pathlib import Path

from sync.asset_master import diff_asset_master, plan_asset_master
from sync.erp_to_eam_spec import load_erp_to_eam_spec

SPEC = load_erp_to_eam_spec(Path(__file__).resolve().parents[2] / "mappings" / "erp_to_eam.yaml")
BASE = {"cost_centre": "CC1", "acquisition_value": "100", "location": "L1", "status": False, "asset_type": "PUMP"}


def erp(**fields) -> dict:
    base = {"Equipment": "E1", "MaintenancePlant": "1000", "CostCenter": "CC1", "AcquisitionValue": "100.00"}
    return {**base, "FunctionalLocation": "L1", "TechnicalObjectType": "PUMP", **fields}


def eam(**fields) -> dict:
    base = {"assetnum": "A1", "externalrefid": "E1", "costcenter": "CC1", "purchaseprice": 100.0}
    return {**base, "location": "L1", "status": "OPERATING", "assettype": "PUMP", **fields}


def verdicts(equipment: dict, asset: dict, baselines=None) -> dict:
    return {d.field: (d.verdict, d.write_to) for d in diff_asset_master(SPEC, [equipment], [asset], baselines)}


def test_agreeing_sides_differ_in_nothing():
    assert verdicts(erp(), eam(), {"E1": BASE}) == {}


def test_the_owners_change_moves_to_the_other_side():
    assert verdicts(erp(CostCenter="CC2"), eam(), {"E1": BASE}) == {"cost_centre": ("move", "eam")}
    assert verdicts(erp(), eam(location="L2"), {"E1": BASE}) == {"location": ("move", "erp")}


def test_a_change_on_the_wrong_side_is_reverted_or_a_conflict_as_the_spec_says():
    assert verdicts(erp(), eam(costcenter="CC9"), {"E1": BASE}) == {"cost_centre": ("revert", "eam")}
    assert verdicts(erp(), eam(purchaseprice=5.0), {"E1": BASE}) == {"acquisition_value": ("conflict", None)}


def test_a_field_changed_on_both_sides_is_a_conflict():
    assert verdicts(erp(FunctionalLocation="L3"), eam(location="L2"), {"E1": BASE}) == {"location": ("conflict", None)}


def test_without_a_baseline_the_owner_wins():
    assert verdicts(erp(CostCenter="CC2"), eam(location="L2")) == {
        "cost_centre": ("align", "eam"),
        "location": ("align", "erp"),
    }


def test_a_decommissioned_eam_asset_marks_the_erp_equipment_for_deletion():
    [change] = plan_asset_master(SPEC, "P1000", [erp()], [eam(status="DECOMMISSIONED")], {"E1": BASE})
    assert change.erp_fields == {"EquipmentIsMarkedForDeletion": True}


def test_equipment_without_an_eam_asset_is_created_with_the_erp_values():
    [change] = plan_asset_master(SPEC, "P1000", [erp(Equipment="E2", EquipmentName="Pump")], [eam()], {"E1": BASE})
    assert change.op == "create" and change.asset == "E2"
    assert change.eam_fields["externalrefid"] == "E2" and change.eam_fields["costcenter"] == "CC1"
