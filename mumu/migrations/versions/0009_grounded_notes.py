"""grounded notes: the summary's sentences with the segments they cite, and the claims
of the LLM that were dropped or struck, with the reason

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("insights", sa.Column("summary_claims", sa.JSON(), nullable=True))
    op.add_column("insights", sa.Column("dropped", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("insights") as batch:
        batch.drop_column("dropped")
        batch.drop_column("summary_claims")
