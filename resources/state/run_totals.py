"""What a run really did, from what it stored: its audit rows (written records, by operation) and its dead
letters. Honest even when the run broke off before it could close its sync run with counts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from resources.state.engine import StateDatabase
from resources.state.schema import AuditRow, DeadLetterRow

OPERATION_COUNTS = {"create": "created", "update": "updated", "delete": "deleted"}


def run_totals(db: StateDatabase, run_ids: Sequence[int]) -> dict[str, int]:
    """created/updated/deleted (audit rows) and dead_lettered (dead letters last failed in these runs)."""
    totals = dict.fromkeys((*OPERATION_COUNTS.values(), "dead_lettered"), 0)
    if not run_ids:
        return totals
    audited = select(AuditRow.operation, func.count()).where(AuditRow.run_id.in_(run_ids)).group_by(AuditRow.operation)
    letters = select(func.count()).where(DeadLetterRow.run_id.in_(run_ids))
    with db.read() as conn:
        for operation, count in conn.execute(audited).tuples():
            if operation in OPERATION_COUNTS:
                totals[OPERATION_COUNTS[operation]] += count
        totals["dead_lettered"] = conn.execute(letters).scalar_one()
    return totals
