"""plm extract cache: item details, BOMs and change numbers by (item, effective revision)

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# plain types here (not the models' TypeDecorators) so this revision never changes when the models do
UTC_DATETIME = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plm_extract_cache",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=255), nullable=False),
        sa.Column("revision", sa.String(length=100), nullable=False),
        sa.Column("payload", JSON_DOC, nullable=True),
        sa.Column("read_at", UTC_DATETIME, nullable=False),
        sa.Column("validated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("kind", "number", "revision"),
    )


def downgrade() -> None:
    op.drop_table("plm_extract_cache")
