"""Alembic environment for the sync-state store.

Run only through `resources.state.store.StateStore.upgrade()`, which hands over an open connection (already in a
transaction and holding the migration lock) as `config.attributes["connection"]`.
"""

from __future__ import annotations

from alembic import context

from resources.state.schema import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "resources/migrations runs only through StateStore.upgrade() or `mfg-sync state upgrade`, "
        "which pass an open connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place: batch mode recreates tables for later migrations
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
