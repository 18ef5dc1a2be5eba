"""A minimal `$metadata` document (EDMX 1.0 / OData v2) generated from the entity types the service serves.

Entity types with keys and properties (type, MaxLength, Scale) and the entity sets; navigation properties
and associations are left out (the sandbox's metadata is for orientation, not for code generation).
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from sandbox.erp.edm import EntityType


def _property(prop) -> str:
    attrs = f'Name="{prop.name}" Type="{prop.edm}"'
    if prop.max_len is not None:
        attrs += f' MaxLength="{prop.max_len}"'
    if prop.edm == "Edm.Decimal":
        attrs += f' Precision="13" Scale="{prop.scale or 0}"'
    if prop.edm in ("Edm.DateTime",):
        attrs += ' Precision="0" sap:display-format="Date"'
    if prop.edm == "Edm.DateTimeOffset":
        attrs += ' Precision="7"'
    return f'<Property {attrs} Nullable="true"/>'


def metadata_document(namespace: str, types: list[EntityType]) -> str:
    entity_types = "".join(
        f"<EntityType Name={quoteattr(t.type_name)}><Key>"
        + "".join(f'<PropertyRef Name="{k}"/>' for k in t.keys)
        + "</Key>"
        + "".join(_property(p) for p in t.props)
        + "</EntityType>"
        for t in types
    )
    sets = "".join(f'<EntitySet Name="{t.set_name}" EntityType="{namespace}.{t.type_name}"/>' for t in types)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
        'xmlns:sap="http://www.sap.com/Protocols/SAPData">'
        '<edmx:DataServices m:DataServiceVersion="2.0">'
        f'<Schema Namespace="{namespace}" xml:lang="en" xmlns="http://schemas.microsoft.com/ado/2008/09/edm">'
        f"{entity_types}"
        f'<EntityContainer Name="{namespace}_Entities" m:IsDefaultEntityContainer="true">{sets}</EntityContainer>'
        "</Schema></edmx:DataServices></edmx:Edmx>"
    )
