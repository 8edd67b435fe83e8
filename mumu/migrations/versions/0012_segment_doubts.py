"""segment doubts: speech kept in the transcript that Whisper was unsure of, and why

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not batch mode: SQLite would copy the table and lose its triggers (0004, 0011).
    op.add_column("segments", sa.Column("doubt", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("segments", "doubt")  # SQLite 3.35+ drops a column in place
