"""The code location as a snapshot: every asset key, check, job selection, sensor and cron string.

A change to any of them shows here as a diff a reviewer reads; update the snapshot with the change.
"""

import ast
from pathlib import Path

import dagster as dg

from orchestration.definitions import defs

ROOT = Path(__file__).resolve().parents[2]
GRAPH = defs.resolve_asset_graph()

ASSETS = {  # key -> (group, partitions, kinds)
    "plm/parts": ("bom_sync", "assemblies", {"arena", "pandas", "parquet"}),
    "plm/bom_lines": ("bom_sync", "assemblies", {"arena", "pandas", "parquet"}),
    "erp/material_plan": ("bom_sync", "assemblies", {"sap", "pandas", "parquet"}),
    "erp/bom_plan": ("bom_sync", "assemblies", {"sap", "pandas", "parquet"}),
    "erp/materials": ("bom_sync", "assemblies", {"sap", "pandas", "parquet"}),
    "erp/boms": ("bom_sync", "assemblies", {"sap", "pandas", "parquet"}),
    "reconciliation/bom": ("reconciliation", None, {"arena", "sap", "html"}),
    "reconciliation/maintenance": ("reconciliation", None, {"maximo", "sap", "html"}),
    "monitoring/sync_statistics": ("monitoring", None, {"pandas", "parquet"}),
    "eam/work_orders": ("maintenance_sync", "sites", {"maximo", "pandas", "parquet"}),
    "eam/work_order_materials": ("maintenance_sync", "sites", {"maximo", "pandas", "parquet"}),
    "eam/material_transactions": ("maintenance_sync", "sites", {"maximo", "pandas", "parquet"}),
    "erp/reservation_plan": ("maintenance_sync", "sites", {"sap", "pandas", "parquet"}),
    "erp/reservations": ("maintenance_sync", "sites", {"sap", "pandas", "parquet"}),
    "erp/goods_issue_plan": ("maintenance_sync", "sites", {"sap", "pandas", "parquet"}),
    "erp/goods_issues": ("maintenance_sync", "sites", {"sap", "pandas", "parquet"}),
    "condition/events": ("condition", None, {"mqtt", "pandas", "parquet"}),
    "eam/work_requests": ("condition", None, {"maximo", "pandas", "parquet"}),
    "erp/purchase_requisitions": ("condition", None, {"sap", "maximo", "pandas", "parquet"}),
    # the `tryton` connection of mappings/connections.yaml: its own assets, sharing the PLM extract
    "tryton/material_plan": ("bom_sync_tryton", "assemblies", {"tryton", "pandas", "parquet"}),
    "tryton/bom_plan": ("bom_sync_tryton", "assemblies", {"tryton", "pandas", "parquet"}),
    "tryton/materials": ("bom_sync_tryton", "assemblies", {"tryton", "pandas", "parquet"}),
    "tryton/boms": ("bom_sync_tryton", "assemblies", {"tryton", "pandas", "parquet"}),
    "reconciliation/bom_tryton": ("reconciliation_tryton", None, {"arena", "tryton", "html"}),
    "eam/inventory_balances": ("maintenance_stock", "sites", {"maximo", "pandas", "parquet"}),
    "erp/stock": ("maintenance_stock", "sites", {"sap", "pandas", "parquet"}),
    "eam/balance_plan": ("maintenance_stock", "sites", {"maximo", "pandas", "parquet"}),
    "eam/balances": ("maintenance_stock", "sites", {"maximo", "pandas", "parquet"}),
    "erp/equipment": ("asset_master", "sites", {"sap", "pandas", "parquet"}),
    "eam/assets": ("asset_master", "sites", {"maximo", "pandas", "parquet"}),
    "eam/asset_plan": ("asset_master", "sites", {"maximo", "sap", "pandas", "parquet"}),
    "eam/assets_sync": ("asset_master", "sites", {"maximo", "sap", "pandas", "parquet"}),
    "erp/production_orders": ("shop_floor", None, {"sap", "pandas", "parquet"}),
    "mes/product_order_plan": ("shop_floor", None, {"azumuta", "pandas", "parquet"}),
    "mes/product_orders": ("shop_floor", None, {"azumuta", "pandas", "parquet"}),
    "erp/confirmations": ("shop_floor", None, {"sap", "azumuta", "pandas", "parquet"}),
    "reconciliation/shop_floor": ("shop_floor", None, {"sap", "azumuta", "pandas", "parquet"}),
    "eam/material_transactions_by_day": ("maintenance_postings", "daily", {"maximo", "pandas", "parquet"}),
    "erp/goods_issues_by_day": ("maintenance_postings", "daily", {"sap", "pandas", "parquet"}),
    "erp/replayed_goods_issues": ("replay", None, {"sap", "pandas", "parquet"}),
}
CHECKS = {
    ("plm/parts", "plm_bom_pre_sync"),
    ("plm/bom_lines", "plm_bom_pre_sync"),
    ("plm/bom_lines", "bom_structure"),
    ("erp/material_plan", "erp_pre_apply"),
    ("erp/bom_plan", "erp_pre_apply"),
    ("erp/materials", "erp_post_sync"),
    ("erp/materials", "materials_match_plan"),
    ("erp/boms", "erp_post_sync"),
    ("erp/boms", "boms_match_plan"),
    ("reconciliation/bom", "systems_agree"),
    ("tryton/materials", "materials_match_plan"),
    ("tryton/boms", "boms_match_plan"),
    ("reconciliation/bom_tryton", "systems_agree"),
    ("reconciliation/maintenance", "eam_and_erp_agree"),
    ("reconciliation/shop_floor", "shop_floor_systems_agree"),
    ("eam/work_order_materials", "eam_pre_sync"),
    ("eam/material_transactions", "eam_pre_sync"),
}
BOM_SYNC = {"plm/parts", "plm/bom_lines", "erp/material_plan", "erp/bom_plan", "erp/materials", "erp/boms"}
JOBS = {
    "bom_sync": BOM_SYNC,
    "bom_plan": {"plm/parts", "plm/bom_lines", "erp/material_plan", "erp/bom_plan"},
    "reconciliation": {"reconciliation/bom", "monitoring/sync_statistics"},
    "bom_sync_tryton": {
        "plm/parts",
        "plm/bom_lines",
        "tryton/material_plan",
        "tryton/bom_plan",
        "tryton/materials",
        "tryton/boms",
    },
    "bom_plan_tryton": {"plm/parts", "plm/bom_lines", "tryton/material_plan", "tryton/bom_plan"},
    "reconciliation_tryton": {"reconciliation/bom_tryton"},
    "maintenance_reconciliation": {"reconciliation/maintenance"},
    "maintenance_sync": {
        "eam/work_orders",
        "eam/work_order_materials",
        "eam/material_transactions",
        "erp/reservation_plan",
        "erp/reservations",
        "erp/goods_issue_plan",
        "erp/goods_issues",
    },
    "condition_sync": {"condition/events", "eam/work_requests", "erp/purchase_requisitions"},
    "maintenance_stock_sync": {"eam/inventory_balances", "erp/stock", "eam/balance_plan", "eam/balances"},
    "asset_master_sync": {"erp/equipment", "eam/assets", "eam/asset_plan", "eam/assets_sync"},
    "shop_floor_orders": {"erp/production_orders", "mes/product_order_plan", "mes/product_orders"},
    "shop_floor_completions": {"erp/confirmations"},
    "shop_floor_reconciliation": {"reconciliation/shop_floor"},
    "maintenance_postings": {"eam/material_transactions_by_day", "erp/goods_issues_by_day"},
    "replay_dead_letters": {"erp/replayed_goods_issues"},
}
SCHEDULES = {  # name -> (cron, job)
    "bom_sync_business_hours": ("0 0,6,12,18 * * 1-5", "bom_sync"),
    "bom_sync_weekly_full": ("0 22 * * 0", "bom_sync"),
    "reconciliation_daily": ("30 5 * * *", "reconciliation"),
    "bom_sync_tryton_business_hours": ("0 0,6,12,18 * * 1-5", "bom_sync_tryton"),
    "bom_sync_tryton_weekly_full": ("0 22 * * 0", "bom_sync_tryton"),
    "maintenance_stock_hourly": ("15 * * * *", "maintenance_stock_sync"),
    "asset_master_daily": ("0 4 * * *", "asset_master_sync"),
    "maintenance_postings_every_15_minutes": ("*/15 * * * *", "maintenance_postings"),
    "shop_floor_orders_every_15_minutes": ("*/15 * * * *", "shop_floor_orders"),
}
SENSORS = {
    "released_assemblies_sensor",
    "plm_change_sensor",
    "bom_sync_failure_sensor",
    "erp_to_eam_failure_sensor",
    "mes_completion_sensor",
    "eam_change_sensor",
    "condition_event_sensor",
}


def _partitions(partitions_def) -> str | None:
    """A dynamic partitioning's name; "daily" for the day-partitioned posting flow."""
    if isinstance(partitions_def, dg.DailyPartitionsDefinition):
        return "daily"
    return partitions_def.name if partitions_def else None


def test_asset_keys_groups_partitions_and_kinds():
    found = {}
    for key in GRAPH.get_all_asset_keys():
        node = GRAPH.get(key)
        found[key.to_user_string()] = (
            node.group_name,
            _partitions(node.partitions_def),
            set(node.kinds),
        )
    assert found == ASSETS


def test_asset_checks():
    found = {(k.asset_key.to_user_string(), k.name) for k in GRAPH.asset_check_keys}
    assert found == CHECKS


def test_job_selections():
    found = {
        job.name: {k.to_user_string() for k in defs.resolve_job_def(job.name).asset_layer.selected_asset_keys}
        for job in defs.jobs
    }
    assert found == JOBS


def test_schedules_and_their_cron_strings():
    found = {s.name: (s.cron_schedule, s.job_name) for s in defs.schedules}
    assert found == SCHEDULES


def test_sensors():
    assert {s.name for s in defs.sensors} == SENSORS


def test_bom_sync_assets_name_their_flow_stage_and_owner():
    for key in BOM_SYNC:
        node = GRAPH.get(dg.AssetKey.from_user_string(key))
        assert node.tags["mfg-sync/flow"] == "bom_sync"
        assert node.tags["mfg-sync/stage"] in ("extract", "plan", "apply")
        assert node.owners


def _defined_in_modules() -> dict[str, set[str]]:
    """Names of the assets, checks, jobs, sensors and schedules the rooms' modules define (by decorator/call)."""
    kinds = {
        "asset": "assets",
        "multi_asset": "assets",
        "asset_check": "checks",
        "define_asset_job": "jobs",
        "sensor": "sensors",
        "run_failure_sensor": "sensors",
        "schedule": "schedules",
    }
    found: dict[str, set[str]] = {k: set() for k in set(kinds.values())}
    for room in ("assets", "sensors", "schedules"):
        for path in (ROOT / room).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef):
                    for deco in node.decorator_list:
                        target = deco.func if isinstance(deco, ast.Call) else deco
                        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                        if name in kinds:
                            found[kinds[name]].add(node.name)
    return found


def test_every_decorated_definition_in_the_rooms_is_registered():
    import assets as assets_room

    defined = _defined_in_modules()
    registered = assets_room.definitions()
    assert len(defined["assets"]) == len(list(registered.assets))
    assert len(defined["checks"]) == len(list(registered.asset_checks))
    assert defined["sensors"] <= {s.name for s in defs.sensors}


def test_runs_execute_their_steps_in_one_process():
    for job in defs.jobs:
        assert defs.resolve_job_def(job.name).executor_def.name == "in_process", job.name


def test_the_change_sensor_ticks_every_five_seconds():
    assert {s.name: s.minimum_interval_seconds for s in defs.sensors}["plm_change_sensor"] == 5
