"""The one Definitions object loads with every job, asset and resource wired."""

import dagster as dg

from orchestration.definitions import defs


def test_definitions_hold_the_bom_sync_job_and_its_dry_run():
    assert defs.resolve_job_def("bom_sync").partitions_def.name == "assemblies"
    assert defs.resolve_job_def("bom_plan") is not None


def test_every_bom_sync_asset_is_partitioned_by_assembly():
    graph = defs.resolve_asset_graph()
    names = {key.to_user_string() for key in graph.get_all_asset_keys()}
    bom_assets = {"plm_parts", "plm_bom_lines", "erp_material_plan", "erp_bom_plan", "erp_materials", "erp_boms"}
    assert bom_assets <= names
    for name in bom_assets:
        assert graph.get(dg.AssetKey(name)).partitions_def.name == "assemblies"
