"""Bulk SQL shared by the state store's aggregates: chunked IN lists, multi-row upserts, key filters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 500  # keys per IN (...) list and rows per multi-row statement
ROWS_PER_STATEMENT = 200  # keeps a multi-row VALUES under both backends' bound-parameter limits


def upsert(
    conn: Connection,
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    conflict_columns: list[str],
    refreshed: list[str],
    index_where: Any = None,
    extra_set: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """INSERT ... ON CONFLICT DO UPDATE as multi-row VALUES statements, one per chunk of rows.

    Executemany would not do: the drivers send an upsert once per row. Rows must not repeat a conflict key.
    """
    for chunk in chunks(rows, ROWS_PER_STATEMENT):
        stmt = dialect_insert(conn)(model).values(list(chunk))
        set_ = {name: stmt.excluded[name] for name in refreshed}
        if extra_set is not None:
            set_.update(extra_set(stmt.excluded))
        stmt = stmt.on_conflict_do_update(index_elements=conflict_columns, index_where=index_where, set_=set_)
        conn.execute(stmt)


def dialect_insert(conn: Connection) -> Any:
    """The dialect's INSERT construct (both offer ON CONFLICT DO NOTHING / DO UPDATE)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def key_filtered(
    stmt: Select[Any], column: Any, keys: Iterable[str] | None, key_prefix: str | None
) -> list[Select[Any]]:
    """`stmt` limited to the given keys (one statement per chunk) and/or to keys under a literal prefix."""
    if key_prefix is not None:
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(column.like(escaped + "%", escape="\\"))
    if keys is None:
        return [stmt]
    return [stmt.where(column.in_(chunk)) for chunk in chunks(sorted(set(keys)))]


def group_keys(records: Iterable[Any]) -> dict[str, list[str]]:
    """Keys by entity, from (entity, key) pairs or objects with `.entity` and `.key`."""
    grouped: dict[str, list[str]] = {}
    for record in records:
        entity, key = record if isinstance(record, tuple) else (record.entity, record.key)
        grouped.setdefault(entity, []).append(key)
    return grouped


def chunks(items: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
