"""`bom_reconciliation`: the released PLM BOMs, mapped, against a fresh read of the ERP, field by field.

Never writes to either system. Unpartitioned: one run covers every assembly in scope (config
`assemblies`; empty = every registered assembly partition, else every released top-level assembly of the
PLM), so its table (`bom_reconciliation/__all__.parquet`) is always the latest whole picture. Outputs: that
table, an HTML report under `$MFG_SYNC_DATA_DIR/reports/`, a Markdown summary and per-kind numbers (plotted
by the UI over time), and the check `systems_agree` (severity from the `validation_rules` resource,
ERROR or WARN, default ERROR).
"""

import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.erp_plans import read_bom_snapshot
from assets.keys import BOM_RECONCILIATION, OWNERS, bom_tags
from assets.metadata import api_metadata, rows_table
from assets.partitions import assemblies as assembly_partitions
from resources.erp.interface import ERPConnector
from resources.mapping_spec import MappingSpecResource
from resources.plm import PLMResource
from resources.settings import reports_dir
from resources.validation_rules import ValidationRulesResource
from sync.mapping import map_released_bom
from sync.plan_view import markdown_table, shown_note
from sync.reconcile import (
    DESCRIBED_COLUMNS,
    compare,
    counts_by_assembly,
    counts_by_kind,
    differences_frame,
    with_components,
)
from sync.reconcile_report import write_reconciliation_report
from sync.spec import MappingSpec

CHECK = "systems_agree"


class ReconciliationConfig(dg.Config):
    assemblies: list[str] = []  # top-level assemblies to reconcile; empty = all (see module doc)


def _scope(context: dg.AssetExecutionContext, config: ReconciliationConfig, client) -> list[str]:
    if config.assemblies:
        return sorted(set(config.assemblies))
    registered = context.instance.get_dynamic_partitions(assembly_partitions.name)
    return sorted(registered) if registered else client.released_top_assemblies()


def _mapped_plm(context: dg.AssetExecutionContext, config: ReconciliationConfig, plm: PLMResource, spec: MappingSpec):
    """Desired ERP records of every assembly in scope, and which assemblies hold each record."""
    desired: dict[str, dict[str, dict]] = {"material": {}, "bom_header": {}, "bom_item": {}}
    owners: dict[str, set[str]] = {}
    descriptions: dict[str, str] = {}
    without_bom: set[str] = set()
    with plm.client(correlation_id=context.run.run_id, logger=context.log) as client:
        scope = _scope(context, config, client)
        for assembly in scope:
            released = client.released_bom(assembly)
            descriptions.update({part.number: part.name for part in released.parts})
            mapped = map_released_bom(spec, released.parts, released.lines)
            for error in mapped.errors:
                context.log.warning(f"{assembly}: not compared, could not be mapped: {error}")
            for entity, records in mapped.desired().items():
                desired[entity].update(records)
                for key in records:
                    owners.setdefault(key, set()).add(assembly)
            without_bom |= mapped.headers_without_bom
            for key in mapped.headers_without_bom:
                owners.setdefault(key, set()).add(assembly)
    metrics = client.metrics.snapshot()  # after closing: the logout is a request too
    where = {k: ", ".join(sorted(v)) for k, v in owners.items()}
    return spec, scope, desired, without_bom - set(desired["bom_header"]), where, descriptions, metrics


SUMMARY_ROWS = 50  # rows of the markdown summary; the table metadata and the report have them all


def _markdown(by_kind: dict[str, int], frame: pd.DataFrame, scope: list[str]) -> str:
    lines = [
        f"**{len(frame)} difference(s)** across {len(scope)} assemblies ({', '.join(scope) or '-'})",
        "",
        "| kind | count |",
        "|---|---|",
        *(f"| {k} | {n} |" for k, n in by_kind.items()),
    ]
    if len(frame):
        lines += [
            "",
            *markdown_table(frame.head(SUMMARY_ROWS).to_dict("records"), DESCRIBED_COLUMNS),
            "",
            shown_note(
                min(len(frame), SUMMARY_ROWS),
                len(frame),
                "differences",
                "`difference_rows` and the HTML report (`report_path`)",
            ),
        ]
    else:
        lines += ["", "No differences: the ERP holds exactly the mapped PLM BOMs."]
    return "\n".join(lines)


@dg.asset(
    key=BOM_RECONCILIATION,
    group_name="reconciliation",
    kinds={"arena", "sap", "html"},
    owners=OWNERS,
    tags=bom_tags("reconcile"),
    check_specs=[
        dg.AssetCheckSpec(
            CHECK, asset=BOM_RECONCILIATION, description="PLM and ERP agree: no missing, extra or differing record."
        )
    ],
    description="PLM vs ERP, field by field, for every assembly in scope (reads only; writes neither system).",
)
def bom_reconciliation(
    context: dg.AssetExecutionContext,
    config: ReconciliationConfig,
    plm: PLMResource,
    erp: dg.ResourceParam[ERPConnector],
    mapping_spec: MappingSpecResource,
    validation_rules: ValidationRulesResource,
):
    yield from reconcile(context, config, plm, erp, mapping_spec, validation_rules, BOM_RECONCILIATION, reports_dir())


def reconcile(
    context: dg.AssetExecutionContext,
    config: ReconciliationConfig,
    plm: PLMResource,
    erp: ERPConnector,
    mapping_spec: MappingSpecResource,
    validation_rules: ValidationRulesResource,
    key: dg.AssetKey,
    report_dir: Path,
):
    """The mapped PLM against a fresh read of one ERP connection; the output of `key`, its check, a report."""
    started = time.monotonic()
    spec, scope, desired, without_bom, where, descriptions, plm_metrics = _mapped_plm(
        context, config, plm, mapping_spec.spec()
    )
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        materials = client.read_materials(sorted(desired["material"]))
        # BOMs of managed parts the PLM gives none are read too: the ERP must not hold one
        snapshot = read_bom_snapshot(client, sorted(set(desired["bom_header"]) | without_bom))
        erp_metrics = client.metrics.snapshot()
    frame = with_components(
        differences_frame(compare(spec, desired, materials, snapshot, where)), desired, snapshot, descriptions
    )
    by_kind, by_assembly = counts_by_kind(frame), counts_by_assembly(frame)
    report = write_reconciliation_report(
        frame, by_kind, by_assembly, scope, datetime.now(UTC), context.run.run_id, report_dir
    )
    context.log.info(f"reconciliation of {len(scope)} assemblies: {len(frame)} difference(s) {by_kind}; {report}")
    yield dg.Output(
        frame,
        metadata={
            "differences": len(frame),
            **{f"diff_{kind}": n for kind, n in by_kind.items()},
            "assemblies": len(scope),
            "scope": ", ".join(scope),
            "records_compared": sum(len(records) for records in desired.values()),
            "report_path": dg.MetadataValue.path(str(report)),
            "summary": dg.MetadataValue.md(_markdown(by_kind, frame, scope)),
            "difference_rows": rows_table(frame.to_dict("records"), DESCRIBED_COLUMNS),
            "duration_s": round(time.monotonic() - started, 3),
            **api_metadata("plm", plm_metrics),
            **api_metadata("erp", erp_metrics),
        },
    )
    yield dg.AssetCheckResult(
        check_name=CHECK,
        asset_key=key,
        passed=len(frame) == 0,
        severity=validation_rules.check_severity(),
        metadata={
            "differences": len(frame),
            **{f"diff_{k}": n for k, n in by_kind.items() if n},
            "report_path": dg.MetadataValue.path(str(report)),
        },
    )
