"""transcript fallbacks: what a transcript needed when the GPU ran out of memory (a
smaller batch, int8 weights, the CPU), counted by step in metric_totals

``transcripts.fallback`` is ``batch 2``, ``int8_float16``, ``cpu`` or NULL
(``mumu.transcription.fallback``). Its totals are kept by triggers written by 0011's
helpers, so they are the same SQL on SQLite and Postgres: a transcript replaced or
erased takes its count away, as ``mumu_audio_seconds`` follows its recordings.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 10:00:00
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

metric_totals = importlib.import_module("mumu.migrations.versions.0011_metric_totals")
METRIC = "mumu_transcription_fallbacks"
FALLBACKS = metric_totals.Tracked(
    "transcripts",
    ("fallback",),
    [
        metric_totals.Part(
            METRIC,
            "CASE WHEN r.fallback LIKE 'batch%' THEN 'smaller_batch' "
            "WHEN r.fallback LIKE 'int8%' THEN 'int8' ELSE 'cpu' END",
            "''",
            "'count'",
            "1",
            "r.fallback IS NOT NULL",
        )
    ],
    when="r.fallback IS NOT NULL",
)


def upgrade() -> None:
    # Not batch mode: SQLite would copy the table and lose its triggers (0004, 0011).
    op.add_column("transcripts", sa.Column("fallback", sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        metric_totals.create_postgres_triggers(FALLBACKS)
    else:
        metric_totals.create_sqlite_triggers(FALLBACKS)


def downgrade() -> None:
    name = f"mumu_totals_{FALLBACKS.table}"
    if op.get_bind().dialect.name == "postgresql":
        for suffix in ("insert", "delete", "update", "truncated"):
            op.execute(f"DROP FUNCTION {name}_{suffix}() CASCADE")
    else:
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {name}_{suffix}")
    op.execute(f"DELETE FROM metric_totals WHERE metric = '{METRIC}'")  # noqa: S608 - fixed
    op.drop_column("transcripts", "fallback")  # SQLite 3.35+ drops a column in place
