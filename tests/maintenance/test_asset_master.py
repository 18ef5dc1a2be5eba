"""The asset master both ways through the real assets and over real HTTP: equipment commissioned in the ERP
becomes an EAM asset once; then each field moves from its owner, is reverted when changed on the wrong
side (or recorded as a conflict, as mappings/erp_to_eam.yaml says), and a field changed on both sides is
a conflict for a person."""

from __future__ import annotations

import itertools

import pytest

from tests.maintenance.erp_to_eam_harness import (
    asset_master_sync,
    assets_read,
    commission,
    eam_assets,
    equipment,
    update_eam_asset,
    update_equipment,
    writes,
)
from tests.maintenance.maintenance_harness import TEST_OVERLAP, MaintenanceHarness, maintenance_harness


@pytest.fixture(scope="module")
def maint(tmp_path_factory) -> MaintenanceHarness:
    with maintenance_harness(tmp_path_factory.mktemp("assets")) as harness:
        assert asset_master_sync(harness).success  # the seeded assets are aligned once
        yield harness


@pytest.fixture(scope="module")
def pump(maint) -> tuple[str, str]:
    """Equipment commissioned in the ERP and synced: (equipment number, EAM asset number)."""
    number = commission(maint, "Dosing pump DP-401", CostCenter="CC4100", AcquisitionValue="12500.00")
    assert asset_master_sync(maint).success
    [asset] = eam_assets(maint, number)
    return number, asset["assetnum"]


_inspections = itertools.count(1)


def move_eam_rowstamps_past_the_overlap(maint: MaintenanceHarness) -> None:
    """Other EAM work: one asset's text (not a synced field) edited more often than the overlap is wide."""
    for _ in range(TEST_OVERLAP + 1):  # each text new: the client keys an update's transaction by its body
        update_eam_asset(maint, "P-102", description=f"Feed pump P-102, inspection {next(_inspections)}")


def open_conflicts(maint: MaintenanceHarness, asset: str) -> dict[str, tuple]:
    found = maint.systems.state().store().open_conflicts("asset")
    return {c.field: (c.source_value, c.target_value) for c in found if c.key == f"P1000/{asset}"}


def test_equipment_created_in_the_erp_appears_in_the_eam(maint, pump):
    number, asset = pump
    [created] = eam_assets(maint, number)
    assert created["costcenter"] == "CC4100" and created["purchaseprice"] == 12500.0
    assert created["description"] == "Dosing pump DP-401" and created["status"] == "NOT READY"


def test_a_rerun_writes_nothing(maint, pump):
    maint.systems.reset_stats("eam", "erp")
    assert asset_master_sync(maint).success
    assert writes(maint) == {"eam": 0, "erp": 0}


def test_a_rerun_reads_only_the_assets_changed_since_the_last_sync(maint, pump):
    move_eam_rowstamps_past_the_overlap(maint)
    assert asset_master_sync(maint).success
    result = asset_master_sync(maint)
    assert result.success
    assert assets_read(result) == {"P-102"}  # the newest change, inside the overlap window; nothing else


def test_a_create_whose_answer_was_lost_does_not_create_twice(maint):
    number = commission(maint, "Agitator AG-501")
    maint.systems.faults("eam", drop_after_commit_next=1)  # Maximo commits the asset, the answer never comes
    try:
        assert asset_master_sync(maint).success
    finally:
        maint.systems.faults("eam")
    assert len(eam_assets(maint, number)) == 1


def test_an_erp_owned_field_changed_in_the_eam_is_reverted(maint, pump):
    number, asset = pump
    update_eam_asset(maint, asset, costcenter="CC9999")
    assert asset_master_sync(maint).success
    assert eam_assets(maint, number)[0]["costcenter"] == "CC4100"
    assert equipment(maint, number)["CostCenter"] == "CC4100"


def test_an_erp_owned_field_with_rule_conflict_changed_in_the_eam_goes_to_a_person(maint, pump):
    number, asset = pump
    update_eam_asset(maint, asset, purchaseprice=9999.0)
    maint.systems.reset_stats("eam", "erp")
    assert asset_master_sync(maint).success
    assert open_conflicts(maint, asset)["acquisition_value"] == ("12500", "9999")
    assert writes(maint) == {"eam": 0, "erp": 0}


def test_an_eam_owned_field_changed_in_the_eam_moves_to_the_erp(maint, pump):
    number, asset = pump
    update_eam_asset(maint, asset, location="PUMPHOUSE-2", status="OPERATING")
    assert asset_master_sync(maint).success
    assert equipment(maint, number)["FunctionalLocation"] == "PUMPHOUSE-2"


def test_an_eam_owned_field_changed_in_the_erp_is_reverted(maint, pump):
    number, asset = pump
    update_eam_asset(maint, asset, assettype="PUMP")
    assert asset_master_sync(maint).success  # the EAM's own change moves to the ERP first
    assert equipment(maint, number)["TechnicalObjectType"] == "PUMP"
    update_equipment(maint, number, TechnicalObjectType="MIXER")
    assert asset_master_sync(maint).success
    assert equipment(maint, number)["TechnicalObjectType"] == "PUMP"


def test_a_field_changed_on_both_sides_is_a_conflict_for_a_person(maint, pump):
    number, asset = pump
    update_eam_asset(maint, asset, location="WORKSHOP")
    update_equipment(maint, number, FunctionalLocation="STORES")
    maint.systems.reset_stats("eam", "erp")
    assert asset_master_sync(maint).success
    assert open_conflicts(maint, asset)["location"] == ("STORES", "WORKSHOP")
    assert writes(maint) == {"eam": 0, "erp": 0}


def test_a_conflict_closes_once_a_person_makes_both_sides_agree(maint, pump):
    number, asset = pump
    update_eam_asset(maint, asset, location="BAY-7")
    update_equipment(maint, number, FunctionalLocation="BAY-9")
    assert asset_master_sync(maint).success
    assert "location" in open_conflicts(maint, asset)
    update_equipment(maint, number, FunctionalLocation="BAY-7")  # the planner settles it in the ERP
    assert asset_master_sync(maint).success
    assert "location" not in open_conflicts(maint, asset)
    update_eam_asset(maint, asset, location="BAY-8")  # from now on the EAM's change moves again
    assert asset_master_sync(maint).success
    assert equipment(maint, number)["FunctionalLocation"] == "BAY-8"


def test_a_conflict_stands_while_neither_side_changes_again(maint):
    number = commission(maint, "Compressor CP-601", AcquisitionValue="30000.00")
    assert asset_master_sync(maint).success
    [asset] = [a["assetnum"] for a in eam_assets(maint, number)]
    update_eam_asset(maint, asset, purchaseprice=31000.0)  # ERP-owned, rule conflict: for a person
    assert asset_master_sync(maint).success
    move_eam_rowstamps_past_the_overlap(maint)
    assert asset_master_sync(maint).success
    result = asset_master_sync(maint)
    assert result.success and asset not in assets_read(result)
    assert open_conflicts(maint, asset)["acquisition_value"] == ("30000", "31000")
