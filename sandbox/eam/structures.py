"""The object structures the sandbox serves: which stored kind, key fields, id field and children each has."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from sandbox.eam.errors import MaximoError, not_found


@dataclass(frozen=True)
class Child:
    name: str  # the JSON array name, e.g. "wpmaterial"
    id_field: str  # e.g. "wpitemid"
    writable: bool = True  # invreserve is the system's own bookkeeping
    deletable: bool = True  # a material transaction, once posted, is never deleted


@dataclass(frozen=True)
class Structure:
    name: str  # lower-case object structure name in the URL, e.g. "mxapiwodetail"
    kind: str  # stored kind
    key_fields: tuple[str, ...]  # in href order
    id_field: str
    children: tuple[Child, ...] = field(default_factory=tuple)
    writable: bool = True

    def child(self, name: str) -> Child | None:
        return next((c for c in self.children if c.name == name), None)

    def natural_key(self, data: dict) -> str:
        return "/".join(str(data.get(f, "")) for f in self.key_fields)

    def href_id(self, data: dict) -> str:
        """Maximo's resource id: `_` + base64 of the key values joined by `/`, `=` padding as `-`."""
        raw = base64.b64encode(self.natural_key(data).encode()).decode()
        return "_" + raw.replace("=", "-")

    def key_from_href_id(self, href_id: str) -> str:
        if not href_id.startswith("_"):
            raise not_found(f"{self.name}/{href_id}")
        try:
            return base64.b64decode(href_id[1:].replace("-", "=").encode(), validate=True).decode()
        except ValueError:
            raise not_found(f"{self.name}/{href_id}") from None


WORK_ORDER = Structure(
    "mxapiwodetail",
    "workorder",
    ("siteid", "wonum"),
    "workorderid",
    children=(
        Child("wpmaterial", "wpitemid"),
        Child("invreserve", "invreserveid", writable=False),
        Child("matusetrans", "matusetransid", deletable=False),
    ),
)
BALANCE = Structure("mxapiinvbal", "invbalance", ("itemnum", "location", "binnum", "siteid"), "invbalancesid")
ASSET = Structure("mxapiasset", "asset", ("assetnum", "siteid"), "assetid")
ITEM = Structure("mxapiitem", "item", ("itemnum", "itemsetid"), "itemid")
# Sandbox-named read-only view of the material transactions (a custom object structure in a real Maximo).
MATERIAL_TRANSACTION = Structure("mxapimatusetrans", "matusetrans", ("matusetransid",), "matusetransid", writable=False)

# Job plans (standard work: the spare parts a repair needs), read-only: planners maintain them in Maximo's UI
JOB_PLAN = Structure(
    "mxapijobplan",
    "jobplan",
    ("jpnum", "siteid"),
    "jobplanid",
    children=(Child("jpmaterial", "jpmaterialid"),),
    writable=False,
)

STRUCTURES = {s.name: s for s in (WORK_ORDER, BALANCE, ASSET, ITEM, MATERIAL_TRANSACTION, JOB_PLAN)}
CHILD_KINDS = {c.name for c in WORK_ORDER.children}


def structure(name: str) -> Structure:
    found = STRUCTURES.get(name.lower())
    if found is None:
        raise MaximoError(404, "BMXAA8727E", f"The object structure {name.upper()} does not exist.")
    return found
