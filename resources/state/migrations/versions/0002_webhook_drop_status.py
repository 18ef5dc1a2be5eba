"""webhook drops: status and reason (a sensor quarantines a drop it cannot process)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_drops", sa.Column("status", sa.String(length=20), server_default="received", nullable=False))
    op.add_column("webhook_drops", sa.Column("reason", sa.Text(), nullable=True))
    # drops a sensor already turned into runs before this revision
    op.execute("UPDATE webhook_drops SET status = 'processed' WHERE processed_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("webhook_drops") as batch:
        batch.drop_column("reason")
        batch.drop_column("status")
