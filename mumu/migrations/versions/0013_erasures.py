"""erasures: the ids of erased recordings, and the content hashes still refused

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("recording_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("erased_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_erasures_sha256", "erasures", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_erasures_sha256", table_name="erasures")
    op.drop_table("erasures")
