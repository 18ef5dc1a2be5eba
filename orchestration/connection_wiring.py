"""The resources of every ERP connection besides the default, from `mappings/connections.yaml` and the
environment: `erp_<name>` (the ERP, its endpoint and secret from the connection's variables, secrets as
`dg.EnvVar`) and `mapping_spec_<name>`. `definitions.py` wires them; test and bench harnesses that
materialize the whole asset set add them too (the connection assets require them, even when not run)."""

from resources.erp.connections import load_connections
from resources.erp.tryton.resource import TrytonResource
from resources.mapping_spec import MappingSpecResource


def connection_resources() -> dict:
    """The ERP and mapping spec of every connection besides the default (`erp`, `mapping_spec`), keyed
    `erp_<name>` and `mapping_spec_<name>` (`mappings/connections.yaml`)."""
    wired = {}
    for conn in load_connections().values():
        if conn.is_default:
            continue
        if conn.kind != "tryton":  # the file's check allows one SAP connection: the default
            raise ValueError(f"connection {conn.name!r}: only the default connection can be of kind {conn.kind!r}")
        wired[conn.resource_key] = TrytonResource.from_env(prefix=conn.env_prefix)
        wired[conn.spec_resource_key] = MappingSpecResource(path=str(conn.mapping), erp_kind=conn.kind)
    return wired
