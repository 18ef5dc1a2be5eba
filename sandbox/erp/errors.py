"""OData v2 errors in SAP Gateway's shape: `{"error": {"code", "message": {"lang", "value"}, "innererror"}}`.

Codes follow SAP's `<message class>/<number>` style. `/IWBEP/CM_MGW_RT/020` (resource not found),
`M3/305` (material does not exist) and `M7/021` (stock deficit) mirror real SAP messages; the rest are
sandbox-assigned and listed in sandbox/README.md.
"""

from __future__ import annotations

import uuid
from typing import Any

NOT_FOUND = "/IWBEP/CM_MGW_RT/020"
BAD_REQUEST = "/IWBEP/CM_MGW_RT/022"
METHOD_NOT_ALLOWED = "/IWBEP/CM_MGW_RT/004"
PRECONDITION_FAILED = "/IWBEP/CM_MGW_RT/094"
PRECONDITION_REQUIRED = "/IWBEP/CM_MGW_RT/095"
INVALID_PROPERTY = "/IWBEP/CM_MGW_RT/021"
UNAUTHORIZED = "/IWFND/CM_CONSUMER/101"
CSRF_REQUIRED = "/IWFND/CM_COS/030"
RATE_LIMITED = "/IWFND/CM_COS/429"
UNAVAILABLE = "/IWFND/CM_COS/503"
FIELD_INVALID = "API_PRD_MSG/001"
PRODUCT_EXISTS = "M3/302"
UNKNOWN_MATERIAL = "M3/305"
NOT_IN_PLANT = "M3/351"
UNKNOWN_UNIT = "M3/349"
UNKNOWN_PLANT = "29/012"
BAD_ITEM_NUMBER = "29/030"
DUPLICATE_ITEM = "29/031"
BOM_EXISTS = "29/054"
VERSION_RELEASED = "29/160"
VERSION_NOT_RELEASABLE = "29/161"
STOCK_DEFICIT = "M7/021"
UNKNOWN_STORAGE_LOCATION = "M7/053"
MOVEMENT_NOT_ALLOWED = "M7/338"
ACCOUNT_ASSIGNMENT_MISSING = "M7/146"
UNKNOWN_RESERVATION = "M7/134"
RESERVATION_CLOSED = "M7/135"
RESERVATION_NOT_CHANGEABLE = "M7/137"
ALREADY_CANCELLED = "M7/136"
UNKNOWN_ORDER = "KO/002"
UNKNOWN_EQUIPMENT = "IE/001"


class ODataError(Exception):
    """A request failure the service answers with `status` and an SAP-style error body."""

    def __init__(
        self, status: int, code: str, message: str, *, target: str = "", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, target=self.target)


def error_body(code: str, message: str, *, target: str = "") -> dict[str, Any]:
    """The JSON error document SAP Gateway returns (innererror carries a transaction id as SAP does)."""
    detail = {"code": code, "message": message, "propertyref": target, "severity": "error", "target": target}
    return {
        "error": {
            "code": code,
            "message": {"lang": "en", "value": message},
            "innererror": {
                "transactionid": uuid.uuid4().hex.upper(),
                "timestamp": "",
                "errordetails": [detail],
            },
        }
    }


def not_found(entity_set: str, key: str) -> ODataError:
    return ODataError(404, NOT_FOUND, f"Resource not found for segment '{entity_set}({key})'")


def bad_request(message: str, *, target: str = "", code: str = BAD_REQUEST) -> ODataError:
    return ODataError(400, code, message, target=target)
