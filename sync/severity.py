"""Business severity of a maintenance failure: what it costs the plant while it stays unfixed.

- plant-critical: a goods issue or reservation for an OPEN work order (not yet completed, closed or
  cancelled) whose priority is 1 or 2 (Maximo copies the asset's priority onto its work orders): a critical
  asset waits for the part, or the ERP's stock is wrong for the part being fitted right now;
- reporting: a goods issue or reservation for a work order already completed, closed or cancelled: the part
  is fitted, only costs and stock reports are behind;
- operational: everything else (lower-priority open work, unknown work orders, extracts, cursors).

Plant-critical failures alert at once; the others only when the flow's circuit breaker opens.
"""

from __future__ import annotations

from dataclasses import dataclass

PLANT_CRITICAL, OPERATIONAL, REPORTING = "plant-critical", "operational", "reporting"
SEVERITIES = (PLANT_CRITICAL, OPERATIONAL, REPORTING)  # gravest first
CRITICAL_PRIORITIES = frozenset({1, 2})
FINISHED_STATUSES = frozenset({"COMP", "CLOSE", "CAN"})
POSTING_ENTITIES = frozenset({"goods_issue", "reservation"})


@dataclass(frozen=True)
class WorkOrderFacts:
    """What severity needs to know of the work order a failed record belongs to."""

    status: str | None
    priority: int | None


def maintenance_severity(entity: str, work_order: WorkOrderFacts | None) -> str:
    """The severity of a failed `entity` record (goods_issue, reservation, ...) of `work_order` (None: unknown)."""
    if entity not in POSTING_ENTITIES or work_order is None:
        return OPERATIONAL
    if (work_order.status or "").upper() in FINISHED_STATUSES:
        return REPORTING
    return PLANT_CRITICAL if work_order.priority in CRITICAL_PRIORITIES else OPERATIONAL


def gravest(severities: list[str]) -> str:
    """The gravest of these severities (operational when there are none)."""
    known = [s for s in severities if s in SEVERITIES]
    return min(known, key=SEVERITIES.index) if known else OPERATIONAL
