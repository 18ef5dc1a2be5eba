"""Names of the flows: what runs, sensors, schedules and the state store call each one."""

BOM_FLOW = "bom_sync"  # PLM -> ERP materials and BOMs (= the job's name)
MAINTENANCE_FLOW = "maintenance_sync"  # EAM work orders and material movements -> ERP reservations, goods issues
STOCK_FLOW = "maintenance_stock_sync"  # ERP unrestricted stock -> EAM current balances (counted adjustments)
ASSET_MASTER_FLOW = "asset_master_sync"  # ERP equipment <-> EAM assets, field by field by ownership
