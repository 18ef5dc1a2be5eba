"""The asset master's extracts of one site: the ERP's plant equipment in full, the EAM's assets incrementally.

`erp/equipment` reads the plant's equipment whole: the ERP owns the financial asset record, the list is one
paged read, and its field values against the last agreed baseline say which equipment changed there.
`eam/assets` reads the assets changed since its rowstamp cursor, starting `overlap_rowstamps` below it so a
row committed late with a lower rowstamp is not lost, plus the counterparts of the equipment that changed in
the ERP or was never agreed (by externalrefid). A pair neither side changed since both last agreed needs no
work, so it is not read. The cursor read up to is left pending; `eam/assets_sync` commits it once the run
applied everything without a failure, so a failed pair is read again.
"""

import json

import dagster as dg
import pandas as pd

from assets import erp_to_eam_state as state
from assets import maintenance_state
from assets.erp_to_eam_jobs import ASSET_MASTER_GROUP
from assets.erp_to_eam_spec import ErpToEamSpecResource
from assets.keys import EAM_ASSETS, ERP_EQUIPMENT, OWNERS, erp_to_eam_tags, ins
from assets.metadata import api_metadata
from assets.partitions import sites
from resources.eam import EAMResource
from resources.eam.client import ASSET
from resources.erp import ERPResource
from resources.state import SyncStateResource
from sync.asset_master import changed_in_erp
from sync.flows import ASSET_MASTER_FLOW
from sync.maintenance_plan import delta_start

COUNTERPARTS_PER_QUERY = 50  # equipment numbers per `externalrefid in [...]` read


def records_of(frame: pd.DataFrame) -> list[dict]:
    """The system's own records an extract stored (one JSON document per row)."""
    return [json.loads(text) for text in frame["record"]]


@dg.asset(
    key=ERP_EQUIPMENT,
    partitions_def=sites,
    group_name=ASSET_MASTER_GROUP,
    kinds={"sap", "pandas", "parquet"},
    owners=OWNERS,
    tags=erp_to_eam_tags(ASSET_MASTER_FLOW, "extract"),
    pool="erp_api",
    description="ERP equipment (API_EQUIPMENT) of the site's maintenance plant, every field.",
)
def erp_equipment(context: dg.AssetExecutionContext, erp: ERPResource, erp_to_eam_spec: ErpToEamSpecResource):
    plant = erp_to_eam_spec.spec().plant(context.partition_key)
    with erp.client(correlation_id=context.run.run_id, logger=context.log) as client:
        found = [e for e in client.maintenance.equipment_changed_since() if e.get("MaintenancePlant") == plant]
        metrics = client.metrics.snapshot()
    rows = [{"equipment": e["Equipment"], "record": json.dumps(e, default=str, sort_keys=True)} for e in found]
    return dg.Output(
        pd.DataFrame(rows, columns=["equipment", "record"]),
        metadata={"equipment": len(rows), "plant": plant, **api_metadata("erp", metrics)},
    )


@dg.asset(
    key=EAM_ASSETS,
    ins=ins(erp_equipment=ERP_EQUIPMENT),
    partitions_def=sites,
    group_name=ASSET_MASTER_GROUP,
    kinds={"maximo", "pandas", "parquet"},
    owners=OWNERS,
    tags=erp_to_eam_tags(ASSET_MASTER_FLOW, "extract", "eam"),
    pool="eam_api",
    description="EAM assets (MXAPIASSET) of the site changed since the last sync, and the counterparts of "
    "equipment changed in the ERP; linked to the ERP by externalrefid.",
)
def eam_assets(
    context: dg.AssetExecutionContext,
    erp_equipment: pd.DataFrame,
    eam: EAMResource,
    sync_state: SyncStateResource,
    erp_to_eam_spec: ErpToEamSpecResource,
) -> dg.Output:
    site, store, spec = context.partition_key, sync_state.store(), erp_to_eam_spec.spec()
    committed = maintenance_state.cursor(store, site, ASSET)
    changed_equipment = changed_in_erp(spec, records_of(erp_equipment), state.baselines(store, site))
    with eam.client(correlation_id=context.run.run_id, logger=context.log) as client:
        delta = client.delta(ASSET, delta_start(committed, spec.overlap_rowstamps), where=f'siteid="{site}"')
        found = {a["assetnum"]: a for a in delta.members}
        read_refs = {str(a.get("externalrefid") or "") for a in found.values()}
        missing = [number for number in changed_equipment if number not in read_refs]
        for start in range(0, len(missing), COUNTERPARTS_PER_QUERY):
            numbers = ",".join(f'"{n}"' for n in missing[start : start + COUNTERPARTS_PER_QUERY])
            for asset in client.query(ASSET, where=f'siteid="{site}" and externalrefid in [{numbers}]'):
                found[asset["assetnum"]] = asset
        metrics = client.metrics.snapshot()
    run_id = state.sync_run(context, sync_state, ASSET_MASTER_FLOW)
    maintenance_state.set_cursor(store, run_id, site, ASSET, delta.cursor, pending=True, flow=ASSET_MASTER_FLOW)
    rows = [{"asset": a["assetnum"], "record": json.dumps(a, default=str, sort_keys=True)} for a in found.values()]
    context.log.info(
        f"{site}: {len(delta.members)} assets changed in the EAM since rowstamp {committed}, "
        f"{len(missing)} counterpart(s) of equipment changed in the ERP looked up"
    )
    return dg.Output(
        pd.DataFrame(rows, columns=["asset", "record"]),
        metadata={
            "assets": len(rows),
            "changed_in_eam": len(delta.members),
            "changed_in_erp": len(changed_equipment),
            "linked_to_erp": sum(bool(a.get("externalrefid")) for a in found.values()),
            "cursor_from": committed,
            "cursor_read_up_to": delta.cursor,
            **api_metadata("eam", metrics),
        },
    )
