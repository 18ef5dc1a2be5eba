"""The released BOM of one top-level assembly, extracted from the PLM: parts and BOM lines."""

import time
import warnings

import dagster as dg
import pandas as pd

from assets.keys import FULL_EXTRACT_TAG, OWNERS, PLM_BOM_LINES, PLM_PARTS, bom_tags, ins
from assets.metadata import api_metadata, problems_table
from assets.partitions import assemblies
from resources.mapping_spec import MappingSpecResource
from resources.plm import PLMResource
from resources.plm.extract_cache import released_bom
from resources.state import SyncStateResource
from resources.validation_rules import ValidationRulesResource
from sync.flows import BOM_FLOW
from sync.frames import frame_to_records, records_to_frame
from sync.records import BomLine, Part
from sync.structure import check_bom_structure

STRUCTURE_CHECK = "bom_structure"


class ExtractConfig(dg.Config):
    """`full_extract`: read the whole BOM from the PLM again instead of reusing what earlier runs read
    (the run tag `mfg-sync/full-extract: true` does the same; the weekly full sync sets it)."""

    full_extract: bool = False


warnings.filterwarnings("ignore", category=dg.PreviewWarning)  # partitioned checks are "preview" in 1.13


@dg.multi_asset(
    outs={
        "plm_parts": dg.AssetOut(
            key=PLM_PARTS,
            description="Every part in the assembly's released BOM at its effective revision (the assembly first).",
            group_name=BOM_FLOW,
            kinds={"arena", "pandas", "parquet"},
            owners=OWNERS,
            tags=bom_tags("extract"),
        ),
        "plm_bom_lines": dg.AssetOut(
            key=PLM_BOM_LINES,
            description="Single-level BOM lines of every (sub)assembly in the released BOM, with level and path.",
            group_name=BOM_FLOW,
            kinds={"arena", "pandas", "parquet"},
            owners=OWNERS,
            tags=bom_tags("extract"),
        ),
    },
    partitions_def=assemblies,
    pool="plm_api",
)
def plm_released_bom(
    context: dg.AssetExecutionContext, config: ExtractConfig, plm: PLMResource, sync_state: SyncStateResource
):
    """Walk the assembly's released BOM through the PLM, re-reading only what changed since the last extract
    (the change feed says what); shared subassemblies fetched once."""
    assembly = context.partition_key
    full = config.full_extract or context.run.tags.get(FULL_EXTRACT_TAG, "").lower() == "true"
    started = time.monotonic()
    with plm.client(correlation_id=context.run.run_id, logger=context.log) as client:
        released, extract = released_bom(client, assembly, sync_state.store().plm_cache, full=full)
    metrics = client.metrics.snapshot()  # after closing: the logout is a request too
    elapsed = time.monotonic() - started
    context.log.info(
        f"{assembly}: {len(released.parts)} parts, {len(released.lines)} BOM lines in {elapsed:.1f} s "
        f"({extract.mode} extract: {extract.items_read} items and {extract.boms_read} BOMs read, "
        f"{extract.items_cached} items and {extract.boms_cached} BOMs from the cache)"
    )
    common = {
        "correlation_id": context.run.run_id,
        "duration_s": round(elapsed, 3),
        **api_metadata("plm", metrics),
        **extract.metadata(),
    }
    depth = max((line.level for line in released.lines), default=0)
    yield dg.Output(
        records_to_frame(released.parts, Part), "plm_parts", metadata={**common, "parts": len(released.parts)}
    )
    yield dg.Output(
        records_to_frame(released.lines, BomLine),
        "plm_bom_lines",
        metadata={**common, "bom_lines": len(released.lines), "depth": depth},
    )


@dg.asset_check(
    asset=PLM_BOM_LINES,
    name=STRUCTURE_CHECK,
    blocking=True,
    partitions_def=assemblies,
    additional_ins=ins(plm_parts=PLM_PARTS),
    description="No cycles, unique find numbers, quantities > 0, known units and components, depth within bounds "
    "(blocks the sync).",
)
def bom_structure(
    context: dg.AssetCheckExecutionContext,
    plm_bom_lines: pd.DataFrame,
    plm_parts: pd.DataFrame,
    mapping_spec: MappingSpecResource,
    validation_rules: ValidationRulesResource,
) -> dg.AssetCheckResult:
    problems = check_bom_structure(
        frame_to_records(plm_parts, Part),
        frame_to_records(plm_bom_lines, BomLine),
        mapping_spec.spec().units.keys(),
        validation_rules.max_bom_depth,
    )
    context.log.info(f"{context.partition_key} BOM structure: {len(problems)} problem(s)")
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": len(problems), **({"problem_rows": problems_table(problems)} if problems else {})},
    )
