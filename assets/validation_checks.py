"""Great Expectations suites as asset checks of the BOM sync (see expectations/).

- `plm_bom_pre_sync` on `plm_parts` and `plm_bom_lines`: blocking, so bad PLM data stops the run before a plan.
- `erp_pre_apply` on `erp_material_plan` and `erp_bom_plan`: blocking, so nothing is written that the ERP
  would refuse or store wrongly.
- `erp_post_sync` on `erp_materials` and `erp_boms`: what the ERP holds after the apply. That is a fresh read,
  or, when the apply wrote nothing, this run's plan read of the ERP (resources/erp/plan_reads.py).

Checks share their assets' partitions (one top-level assembly); inputs come through the IO manager.
"""

import warnings
from typing import Any

import dagster as dg
import pandas as pd

from assets.blocked_records import PART_RECORDS, PLAN_RECORDS, dead_letter_blocked, plm_line_record
from assets.erp_plans import map_extract, read_bom_snapshot
from assets.keys import (
    ERP_BOM_PLAN,
    ERP_BOMS,
    ERP_MATERIAL_PLAN,
    ERP_MATERIALS,
    PLM_BOM_LINES,
    PLM_PARTS,
    ins,
)
from assets.metadata import api_metadata
from assets.partitions import assemblies
from expectations import erp_post_sync, erp_pre_apply, plm_bom_pre_sync
from expectations.gx_results import log_verdict, to_check_result
from expectations.quantity_rounding import rounding_frame
from expectations.settings import ValidationSettings
from resources.erp import ERPResource, plan_reads
from resources.mapping_spec import MappingSpecResource
from resources.state import SyncStateResource
from resources.validation_rules import ValidationRulesResource
from sync.flows import BOM_FLOW
from sync.keys import header_key_of_item

# Partitioned asset checks work in Dagster 1.13 but are flagged "preview"; the warning is noise for users.
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

PRE_SYNC, PRE_APPLY, POST_SYNC = plm_bom_pre_sync.SUITE, erp_pre_apply.SUITE, erp_post_sync.SUITE


def _with_calls(result: dg.AssetCheckResult, client, reused: list[str] = ()) -> dg.AssetCheckResult:
    """The check's own ERP reads in its metadata (`erp_calls`, `erp_attempts`, ...), so a run's counts add up;
    `reused`: what it took from this run's plan read instead of reading it again."""
    note = {"erp_read_reused": ", ".join(reused) + " (this run's plan read; nothing written since)"} if reused else {}
    return result.with_metadata({**result.metadata, **api_metadata("erp", client.metrics.snapshot()), **note})


def _held(context: dg.AssetCheckExecutionContext, kind: str) -> dict[str, Any] | None:
    return plan_reads.get(context.run.run_id, context.partition_key, BOM_FLOW, kind)


def _materials_now(client, keys: list[str], held: dict[str, Any] | None) -> dict[str, dict]:
    """The ERP's materials of `keys`: from the plan's read when it still holds, the rest read now."""
    known = (held or {}).get("material")
    if known is None:
        return client.read_materials(keys) if keys else {}
    missing = [k for k in keys if k not in known]
    return {**{k: known[k] for k in keys if k in known}, **(client.read_materials(missing) if missing else {})}


def _settings(rules: ValidationRulesResource) -> ValidationSettings:
    """The suites' settings: the ERP's limits as they are, the PLM's schemes from the configured rules."""
    return ValidationSettings(
        part_number_pattern=rules.part_number_pattern,
        revision_pattern=rules.revision_pattern,
        sample_rows=rules.sample_rows,
    )


@dg.asset_check(
    asset=PLM_PARTS,
    name=PRE_SYNC,
    blocking=True,
    partitions_def=assemblies,
    description="Part numbers and revisions follow the configured schemes, units are in the spec, "
    "descriptions present (blocks the sync).",
)
def plm_parts_pre_sync(
    context: dg.AssetCheckExecutionContext,
    plm_parts: pd.DataFrame,
    mapping_spec: MappingSpecResource,
    validation_rules: ValidationRulesResource,
    sync_state: SyncStateResource,
) -> dg.AssetCheckResult:
    settings = _settings(validation_rules)
    validation = plm_bom_pre_sync.validate_parts(plm_parts, mapping_spec.spec().units.keys(), settings)
    dead_letter_blocked(context, sync_state, f"plm/parts:{PRE_SYNC}", [validation], PART_RECORDS)
    return log_verdict(context, to_check_result([validation], sample=settings.sample_rows), "PLM parts")


@dg.asset_check(
    asset=PLM_BOM_LINES,
    name=PRE_SYNC,
    blocking=True,
    partitions_def=assemblies,
    additional_ins=ins(plm_parts=PLM_PARTS),
    description="Find numbers unique per parent, quantities > 0, units in the spec, components known "
    "and well numbered (blocks the sync).",
)
def plm_bom_lines_pre_sync(
    context: dg.AssetCheckExecutionContext,
    plm_bom_lines: pd.DataFrame,
    plm_parts: pd.DataFrame,
    mapping_spec: MappingSpecResource,
    validation_rules: ValidationRulesResource,
    sync_state: SyncStateResource,
) -> dg.AssetCheckResult:
    settings = _settings(validation_rules)
    units = mapping_spec.spec().units.keys()
    validation = plm_bom_pre_sync.validate_bom_lines(plm_bom_lines, plm_parts, units, settings)
    lines = {"plm_bom_lines": plm_line_record(mapping_spec.spec().entities["bom_item"].constants)}
    dead_letter_blocked(context, sync_state, f"plm/bom_lines:{PRE_SYNC}", [validation], lines)
    return log_verdict(context, to_check_result([validation], sample=settings.sample_rows), "PLM BOM lines")


@dg.asset_check(
    asset=ERP_MATERIAL_PLAN,
    name=PRE_APPLY,
    blocking=True,
    partitions_def=assemblies,
    description="Materials to write carry SAP's required fields within its lengths (blocks the apply).",
)
def erp_material_plan_pre_apply(
    context: dg.AssetCheckExecutionContext,
    erp_material_plan: pd.DataFrame,
    validation_rules: ValidationRulesResource,
    sync_state: SyncStateResource,
) -> dg.AssetCheckResult:
    settings = _settings(validation_rules)
    validations = erp_pre_apply.validate_material_plan(erp_material_plan, settings)
    dead_letter_blocked(context, sync_state, f"erp/material_plan:{PRE_APPLY}", validations, PLAN_RECORDS)
    return log_verdict(context, to_check_result(validations, sample=settings.sample_rows), "material plan")


@dg.asset_check(
    asset=ERP_BOM_PLAN,
    name=PRE_APPLY,
    blocking=True,
    partitions_def=assemblies,
    additional_ins=ins(plm_bom_lines=PLM_BOM_LINES),
    description="BOM headers and items to write fit SAP's fields, lengths and quantity precision "
    "(blocks the apply); quantities the ERP's precision rounds are warnings.",
)
def erp_bom_plan_pre_apply(
    context: dg.AssetCheckExecutionContext,
    erp_bom_plan: pd.DataFrame,
    plm_bom_lines: pd.DataFrame,
    mapping_spec: MappingSpecResource,
    validation_rules: ValidationRulesResource,
    sync_state: SyncStateResource,
) -> dg.AssetCheckResult:
    settings = _settings(validation_rules)
    spec = mapping_spec.spec()
    address = spec.entities["bom_item"].constants
    rounding = rounding_frame(erp_bom_plan, plm_bom_lines, spec.units, address, settings.quantity_decimals)
    validations = erp_pre_apply.validate_bom_plan(erp_bom_plan, settings, rounding)
    dead_letter_blocked(context, sync_state, f"erp/bom_plan:{PRE_APPLY}", validations, PLAN_RECORDS)
    return log_verdict(context, to_check_result(validations, sample=settings.sample_rows), "BOM plan")


@dg.asset_check(
    asset=ERP_MATERIALS,
    name=POST_SYNC,
    partitions_def=assemblies,
    additional_ins=ins(plm_parts=PLM_PARTS, plm_bom_lines=PLM_BOM_LINES),
    description="Read back from the ERP: every material of the BOM exists, has plant data and a "
    "mapped unit, and is not flagged for deletion.",
)
def erp_materials_post_sync(
    context: dg.AssetCheckExecutionContext,
    erp_materials: pd.DataFrame,
    plm_parts: pd.DataFrame,
    plm_bom_lines: pd.DataFrame,
    erp: ERPResource,
    mapping_spec: MappingSpecResource,
    validation_rules: ValidationRulesResource,
) -> dg.AssetCheckResult:
    settings = _settings(validation_rules)
    keys = sorted(map_extract(mapping_spec.spec(), plm_parts, plm_bom_lines).materials)
    held = _held(context, plan_reads.MATERIALS)
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        # the plan read every key: a material it did not find does not exist, and nothing was written since
        actual = client.read_materials(keys) if held is None else _materials_now(client, keys, held)
    validations = erp_post_sync.validate_materials(keys, actual, mapping_spec.erp_units(), settings)
    reused = ["materials"] if held is not None else []
    verdict = _with_calls(to_check_result(validations, sample=settings.sample_rows), client, reused)
    return log_verdict(context, verdict, "ERP materials")


@dg.asset_check(
    asset=ERP_BOMS,
    name=POST_SYNC,
    partitions_def=assemblies,
    additional_ins=ins(plm_parts=PLM_PARTS, plm_bom_lines=PLM_BOM_LINES),
    description="Read back from the ERP: every BOM released, items unique, positive, in mapped units, "
    "with existing components.",
)
def erp_boms_post_sync(
    context: dg.AssetCheckExecutionContext,
    erp_boms: pd.DataFrame,
    plm_parts: pd.DataFrame,
    plm_bom_lines: pd.DataFrame,
    erp: ERPResource,
    mapping_spec: MappingSpecResource,
    validation_rules: ValidationRulesResource,
) -> dg.AssetCheckResult:
    settings = _settings(validation_rules)
    mapped = map_extract(mapping_spec.spec(), plm_parts, plm_bom_lines)
    headers = sorted(mapped.bom_headers)
    held_boms, held_materials = _held(context, plan_reads.BOMS), _held(context, plan_reads.MATERIALS)
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        snapshot = read_bom_snapshot(client, headers) if held_boms is None else _boms_of(held_boms, headers)
        items = snapshot["bom_item"].values()
        components = sorted({c for item in items if (c := item.get("BillOfMaterialComponent"))})
        materials = _materials_now(client, components, held_materials)
    validations = erp_post_sync.validate_boms(headers, snapshot, materials, mapping_spec.erp_units(), settings)
    reused = ["BOMs"] * (held_boms is not None) + ["materials"] * (held_materials is not None)
    verdict = _with_calls(to_check_result(validations, sample=settings.sample_rows), client, reused)
    return log_verdict(context, verdict, "ERP BOMs")


def _boms_of(held: dict[str, Any], headers: list[str]) -> dict[str, dict[str, dict]]:
    """The plan's BOM read cut to `headers` (it also read BOMs the PLM no longer gives, to retire them)."""
    wanted = set(headers)
    return {
        "bom_header": {k: v for k, v in held["bom_header"].items() if k in wanted},
        "bom_item": {k: v for k, v in held["bom_item"].items() if header_key_of_item(k) in wanted},
    }
