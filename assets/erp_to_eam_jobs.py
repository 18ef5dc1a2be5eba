"""Jobs of the ERP -> EAM flows, one partition per EAM site: stock to balances, and the asset master."""

import dagster as dg

from assets.partitions import sites
from sync.flows import ASSET_MASTER_FLOW, STOCK_FLOW

STOCK_GROUP, ASSET_MASTER_GROUP = "maintenance_stock", "asset_master"
STOCK_SYNC_SELECTION = dg.AssetSelection.groups(STOCK_GROUP)
ASSET_MASTER_SELECTION = dg.AssetSelection.groups(ASSET_MASTER_GROUP)

maintenance_stock_sync = dg.define_asset_job(
    STOCK_FLOW,
    selection=STOCK_SYNC_SELECTION,
    partitions_def=sites,
    description="ERP unrestricted stock of one site's storerooms -> EAM current balances (counted adjustments).",
    executor_def=dg.in_process_executor,
)

asset_master_sync = dg.define_asset_job(
    ASSET_MASTER_FLOW,
    selection=ASSET_MASTER_SELECTION,
    partitions_def=sites,
    description="ERP equipment -> EAM assets at commissioning, then each field both ways by its owner.",
    executor_def=dg.in_process_executor,
)
