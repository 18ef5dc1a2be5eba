"""From an applied plan item to the state store's contract records, and back to stored state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sync.plan import PlanItem
from sync.records import AppliedChange, StoredRecord


def applied_changes(
    item: PlanItem,
    *,
    target_key: str | None = None,
    target_version: str | None = None,
    source_version: str | None = None,
    spec_version: str | None = None,
) -> list[AppliedChange]:
    """The AppliedChange records for one plan item the target accepted (none for `unchanged`).

    A renumbered BOM item gives two: the old key forgotten (operation "delete", same target id,
    nothing deleted in the target) and then the update under its new key, so the ID map moves the
    ERP item to its new business key.
    """
    if item.op == "unchanged":
        return []
    target_key = target_key or item.target_key
    changes = []
    if item.previous_key:
        changes.append(
            AppliedChange(
                item.entity,
                item.previous_key,
                "delete",
                item.before,
                None,
                None,
                target_key,
                source_version,
                target_version,
                spec_version,
            )
        )
    after = None if item.op == "delete" else item.after
    changes.append(
        AppliedChange(
            item.entity,
            item.key,
            item.op,
            item.before,
            after,
            item.checksum if after is not None else None,
            target_key,
            source_version,
            target_version,
            spec_version,
        )
    )
    return changes


def fold_applied(
    stored: Mapping[str, Mapping[str, StoredRecord]], changes: Iterable[AppliedChange]
) -> dict[str, dict[str, StoredRecord]]:
    """Stored state after the changes, as the state store would hold it (a pure, in-memory fold)."""
    state = {entity: dict(rows) for entity, rows in stored.items()}
    for change in changes:
        rows = state.setdefault(change.entity, {})
        if change.operation == "delete":
            rows.pop(change.key, None)
        else:
            rows[change.key] = StoredRecord(
                change.entity,
                change.key,
                change.checksum or "",
                change.after,
                change.target_key,
                change.source_version,
                change.target_version,
                change.spec_version,
            )
    return state
