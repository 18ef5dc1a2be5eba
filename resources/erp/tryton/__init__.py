"""The Tryton kind of ERP: JSON-RPC (rpc.py), the BOM-sync operations (client.py), the Dagster resource
(resource.py) and a plain runner of the BOM sync (flow.py)."""
