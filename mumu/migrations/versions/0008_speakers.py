"""speakers: segments keep the channel they were heard on or the voice they were told
apart by, recordings the names given to their speakers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("segments") as batch:
        batch.add_column(sa.Column("channel", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("voice", sa.Integer(), nullable=True))
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("speakers", sa.JSON(), nullable=False, server_default="{}"))
    # A mono recording decodes as it did: its audio stays current, so nothing is redone.
    op.execute(
        "UPDATE stage_runs SET key = 'pyav-16k-channels-1' "
        "WHERE stage = 'audio' AND key = 'pyav-16k-mono' "
        "AND recording_id IN (SELECT id FROM recordings WHERE channels = 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("speakers")
    with op.batch_alter_table("segments") as batch:
        batch.drop_column("voice")
        batch.drop_column("channel")
