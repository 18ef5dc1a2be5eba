"""What the condition flow asks of Maximo: the asset (its type and ERP equipment), job plans and their spare
parts, open work orders per asset and failure class, and the work request itself (created in WAPPR).

A work request carries the event's id in `externalrefid` and is created with the transactionid
`condition-<event id>`: a retry after a lost answer is refused by Maximo (409), and a re-run after a crash
finds the request by its `externalrefid` before creating again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resources.eam.client import ASSET, WORK_ORDER, EAMClient

JOB_PLAN = "mxapijobplan"
CLOSED = ("COMP", "CLOSE", "CAN")  # a work order in one of these no longer covers a failure
REF_PREFIX = "COND-"
REQUEST_SELECT = "wonum,siteid,status,assetnum,failurecode,wopriority,externalrefid,reportdate,description"


@dataclass(frozen=True)
class EAMAsset:
    assetnum: str
    site: str
    asset_type: str
    equipment: str  # the ERP equipment number (Maximo's externalrefid of the asset)
    description: str


@dataclass(frozen=True)
class PlannedPart:
    item: str
    quantity: float
    storeroom: str


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find_asset(eam: EAMClient, site: str, assetnum: str) -> EAMAsset | None:
    where = f"assetnum={_quote(assetnum)} and siteid={_quote(site)}"
    for m in eam.query(ASSET, select="assetnum,siteid,assettype,externalrefid,description,status", where=where):
        if m.get("assetnum") == assetnum:  # "%" in a value would make `=` a LIKE
            return EAMAsset(
                assetnum, site, m.get("assettype") or "", m.get("externalrefid") or "", m.get("description") or ""
            )
    return None


def job_plan_parts(eam: EAMClient, site: str, jpnum: str) -> list[PlannedPart] | None:
    """The job plan's spare parts; None when the EAM has no such job plan."""
    where = f"jpnum={_quote(jpnum)} and siteid={_quote(site)}"
    for m in eam.query(JOB_PLAN, select="jpnum,siteid,jpmaterial{*}", where=where):
        return [
            PlannedPart(line["itemnum"], float(line["itemqty"]), line.get("location") or "")
            for line in m.get("jpmaterial") or []
        ]
    return None


def open_work_orders(eam: EAMClient, site: str, assetnum: str, failure_class: str) -> list[dict[str, Any]]:
    """Work orders of the asset and failure class that are not completed, closed or cancelled, oldest first."""
    where = f"siteid={_quote(site)} and assetnum={_quote(assetnum)} and failurecode={_quote(failure_class)}"
    found = [m for m in eam.query(WORK_ORDER, select=REQUEST_SELECT, where=where) if m.get("status") not in CLOSED]
    return sorted(found, key=lambda m: (m.get("reportdate") or "", m.get("wonum") or ""))


def work_request_of(eam: EAMClient, site: str, event_id: str) -> dict[str, Any] | None:
    """The work request raised for `event_id`, if one exists (looked up before creating)."""
    where = f"siteid={_quote(site)} and externalrefid={_quote(REF_PREFIX + event_id)}"
    return next(iter(eam.query(WORK_ORDER, select=REQUEST_SELECT, where=where)), None)


def work_order(eam: EAMClient, site: str, wonum: str) -> dict[str, Any]:
    return eam.get(eam.href(WORK_ORDER, site, wonum), select=REQUEST_SELECT + ",wpmaterial{*}")


def create_work_request(
    eam: EAMClient,
    asset: EAMAsset,
    *,
    event_id: str,
    failure_class: str,
    priority: int,
    description: str,
    job_plan: str,
    parts: list[PlannedPart],
    cost_center: str,
) -> dict[str, Any]:
    """A corrective work order in WAPPR with the job plan's parts as planned materials; returns it as stored."""
    if (found := work_request_of(eam, asset.site, event_id)) is not None:
        return found
    body = {
        "siteid": asset.site,
        "assetnum": asset.assetnum,
        "description": description[:100],
        "failurecode": failure_class,
        "wopriority": priority,
        "worktype": "CM",
        "jpnum": job_plan,
        "costcenter": cost_center,
        "externalrefid": REF_PREFIX + event_id,
        "wpmaterial": [{"itemnum": p.item, "itemqty": p.quantity, "location": p.storeroom} for p in parts],
    }
    eam.create(WORK_ORDER, body, transaction_id=f"condition-{event_id}")
    created = work_request_of(eam, asset.site, event_id)
    if created is None:
        raise RuntimeError(f"EAM: the work request for event {event_id} was accepted but cannot be found")
    return created


def escalate(eam: EAMClient, site: str, wonum: str, priority: int, event_id: str) -> None:
    eam.update(eam.href(WORK_ORDER, site, wonum), {"wopriority": priority}, transaction_id=f"escalate-{event_id}")
