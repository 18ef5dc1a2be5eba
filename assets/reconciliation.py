"""`bom_reconciliation`: the released PLM BOMs, mapped, against a fresh read of the ERP, field by field.

Never writes to either system. Unpartitioned: one run covers every assembly in scope (config
`assemblies`; empty = every registered assembly partition, else every released top-level assembly of the
PLM), so its table (`bom_reconciliation/__all__.parquet`) is always the latest whole picture. Outputs: that
table, an HTML report under `$MFG_SYNC_DATA_DIR/reports/`, a Markdown summary and per-kind numbers (plotted
by the UI over time), and the check `systems_agree` (severity from `MFG_SYNC_RECONCILIATION_SEVERITY`,
ERROR or WARN, default ERROR).
"""


import os
import time
from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from assets.erp_plans import read_bom_snapshot
from assets.metadata import api_metadata, rows_table
from sync.reconcile import COLUMNS, compare, counts_by_assembly, counts_by_kind, differences_frame
from assets.partitions import assemblies as assembly_partitions
from orchestration.reports import write_reconciliation_report
from orchestration.settings import load_mapping_spec
from resources.erp import ERPResource
from resources.plm import PLMResource
from sync.mapping import map_released_bom

CHECK = "systems_agree"
SEVERITY_ENV = "MFG_SYNC_RECONCILIATION_SEVERITY"


class ReconciliationConfig(dg.Config):
    assemblies: list[str] = []  # top-level assemblies to reconcile; empty = all (see module doc)


def check_severity() -> dg.AssetCheckSeverity:
    """The severity of a failed `systems_agree` check, from the environment."""
    name = os.environ.get(SEVERITY_ENV, "ERROR").strip().upper()
    try:
        return dg.AssetCheckSeverity(name)
    except ValueError:
        raise ValueError(f"{SEVERITY_ENV}={name!r}: expected ERROR or WARN") from None


def _scope(context: dg.AssetExecutionContext, config: ReconciliationConfig, client) -> list[str]:
    if config.assemblies:
        return sorted(set(config.assemblies))
    registered = context.instance.get_dynamic_partitions(assembly_partitions.name)
    return sorted(registered) if registered else client.released_top_assemblies()


def _mapped_plm(context: dg.AssetExecutionContext, config: ReconciliationConfig, plm: PLMResource):
    """Desired ERP records of every assembly in scope, and which assemblies hold each record."""
    spec = load_mapping_spec()
    desired: dict[str, dict[str, dict]] = {"material": {}, "bom_header": {}, "bom_item": {}}
    owners: dict[str, set[str]] = {}
    with plm.client(correlation_id=context.run.run_id, logger=context.log) as client:
        scope = _scope(context, config, client)
        for assembly in scope:
            released = client.released_bom(assembly)
            mapped = map_released_bom(spec, released.parts, released.lines)
            for error in mapped.errors:
                context.log.warning(f"{assembly}: not compared, could not be mapped: {error}")
            for entity, records in mapped.desired().items():
                desired[entity].update(records)
                for key in records:
                    owners.setdefault(key, set()).add(assembly)
        metrics = client.metrics.snapshot()
    return spec, scope, desired, {k: ", ".join(sorted(v)) for k, v in owners.items()}, metrics


def _markdown(by_kind: dict[str, int], frame: pd.DataFrame, scope: list[str]) -> str:
    lines = [f"**{len(frame)} difference(s)** across {len(scope)} assemblies ({', '.join(scope) or '-'})", "",
             "| kind | count |", "|---|---|", *(f"| {k} | {n} |" for k, n in by_kind.items())]
    if len(frame):
        lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(str(row[c]) for c in COLUMNS) + " |" for row in frame.head(50).to_dict("records")]
    return "\n".join(lines)


@dg.asset(
    group_name="reconciliation",
    kinds={"pandas", "parquet", "html"},
    check_specs=[dg.AssetCheckSpec(CHECK, asset="bom_reconciliation",
                                   description="PLM and ERP agree: no missing, extra or differing record.")],
    description="PLM vs ERP, field by field, for every assembly in scope (reads only; writes neither system).",
)
def bom_reconciliation(context: dg.AssetExecutionContext, config: ReconciliationConfig, plm: PLMResource,
                       erp: ERPResource):
    started = time.monotonic()
    spec, scope, desired, where, plm_metrics = _mapped_plm(context, config, plm)
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        materials = client.read_materials(sorted(desired["material"]))
        snapshot = read_bom_snapshot(client, sorted(desired["bom_header"]))
        erp_metrics = client.metrics.snapshot()
    frame = differences_frame(compare(spec, desired, materials, snapshot, where))
    by_kind, by_assembly = counts_by_kind(frame), counts_by_assembly(frame)
    report = write_reconciliation_report(frame, by_kind, by_assembly, scope, datetime.now(UTC), context.run.run_id)
    context.log.info(f"reconciliation of {len(scope)} assemblies: {len(frame)} difference(s) {by_kind}; {report}")
    yield dg.Output(frame, metadata={
        "differences": len(frame),
        **{f"diff_{kind}": n for kind, n in by_kind.items()},
        "assemblies": len(scope),
        "scope": ", ".join(scope),
        "records_compared": sum(len(records) for records in desired.values()),
        "report_path": dg.MetadataValue.path(str(report)),
        "summary": dg.MetadataValue.md(_markdown(by_kind, frame, scope)),
        "difference_rows": rows_table(frame.to_dict("records"), COLUMNS),
        "duration_s": round(time.monotonic() - started, 3),
        **api_metadata("plm", plm_metrics),
        **api_metadata("erp", erp_metrics),
    })
    yield dg.AssetCheckResult(
        check_name=CHECK,
        passed=len(frame) == 0,
        severity=check_severity(),
        metadata={"differences": len(frame), **{f"diff_{k}": n for k, n in by_kind.items() if n},
                  "report_path": dg.MetadataValue.path(str(report))},
    )
