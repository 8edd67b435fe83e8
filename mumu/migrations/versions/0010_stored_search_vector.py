"""stored search vector: each segment's tsvector kept in a generated column with a GIN
index (Postgres), so search ranks without parsing every candidate's text again

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 22:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's FTS5 table (0004) already stores its index
    op.execute(
        "ALTER TABLE segments ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
    )
    op.execute("CREATE INDEX ix_segments_search_vector ON segments USING GIN (search_vector)")
    op.execute("DROP INDEX ix_segments_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_segments_fts ON segments USING GIN (to_tsvector('english', text))")
    op.execute("DROP INDEX ix_segments_search_vector")
    op.execute("ALTER TABLE segments DROP COLUMN search_vector")
