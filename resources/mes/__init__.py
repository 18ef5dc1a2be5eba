"""The shop-floor system (MES, Azumuta shape): its client and Dagster resource."""

from resources.mes.client import MESClient, MESDataError
from resources.mes.resource import MESResource

__all__ = ["MESClient", "MESDataError", "MESResource"]
