"""metric totals: the sidecar's metrics kept up to date as rows change, one row per
label set, so a scrape reads a few rows instead of aggregating the whole history

Triggers on the tables the metrics are made of add the parts of the rows a statement
inserts, take away those of the rows it deletes, and both for the rows it updates, in
the writer's own transaction: every writer (flows, containers, ``mumu`` commands,
cascades) keeps the totals without knowing of them. Postgres runs one trigger per
statement over its transition tables; SQLite (no statement triggers) one per row, for
updates only of the columns the metrics read. On Postgres a ``TRUNCATE`` of a table
empties its metrics' totals. Histograms keep one row per bucket (not cumulative: an
observation adds to one bucket), ``count`` and ``sum``. A statement that changes no
total (a heartbeat, a status set to itself) writes and locks nothing. Concurrent writers
wait on the total rows they share until commit; two transactions that reach them in
opposite orders deadlock, which Postgres detects and the writers' ``retrying`` runs
again. On SQLite, a ``batch_alter_table`` of a tracked table recreates it without these
triggers: such a migration must create them again, as 0004's FTS triggers. The totals
of the rows already there are added up once, here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 22:40:00
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DURATION_BUCKETS = [
    "0.5",
    "1",
    "2.5",
    "5",
    "10",
    "30",
    "60",
    "120",
    "300",
    "600",
    "1800",
    "3600",
    "7200",
]
UPSERT = """
    INSERT INTO metric_totals (metric, label_a, label_b, part, value)
    SELECT metric, label_a, label_b, part, SUM(value) FROM ({parts}) AS parts
    WHERE counted = 1
    GROUP BY metric, label_a, label_b, part
    HAVING SUM(value) <> 0
    ORDER BY metric, label_a, label_b, part
    ON CONFLICT (metric, label_a, label_b, part)
    DO UPDATE SET value = metric_totals.value + excluded.value
"""


@dataclass(frozen=True)
class Part:
    """What one row adds to one total: ``value`` where ``counted`` holds. SQL written
    against the row alias ``r``."""

    metric: str
    label_a: str
    label_b: str
    part: str
    value: str
    counted: str = "1 = 1"

    def select(self, row: str, sign: int, source: str) -> str:
        def at(expression: str) -> str:
            return expression.replace("r.", f"{row}.")

        return (
            f"SELECT '{self.metric}' AS metric, {at(self.label_a)} AS label_a, "
            f"{at(self.label_b)} AS label_b, {at(self.part)} AS part, "
            f"CAST({sign} * ({at(self.value)}) AS FLOAT) AS value, "
            f"CASE WHEN {at(self.counted)} THEN 1 ELSE 0 END AS counted {source}"
        )


def histogram(metric: str, label_a: str, label_b: str, value: str, counted: str) -> list[Part]:
    bucket = (
        "CASE "
        + " ".join(f"WHEN {value} <= {bound} THEN '{bound}'" for bound in DURATION_BUCKETS)
        + " ELSE '+Inf' END"
    )
    return [
        Part(metric, label_a, label_b, "'count'", "1", counted),
        Part(metric, label_a, label_b, "'sum'", value, counted),
        Part(metric, label_a, label_b, bucket, "1", counted),
    ]


@dataclass(frozen=True)
class Tracked:
    table: str
    columns: tuple[str, ...]  # an update of any other column changes no total
    parts: list[Part]
    when: str = ""  # SQLite: rows outside it add nothing, so no trigger runs for them


TRACKED = (
    Tracked(
        "recordings",
        ("status", "duration_s"),
        [
            Part("mumu_recordings", "r.status", "''", "'count'", "1"),
            Part(
                "mumu_audio_seconds",
                "''",
                "''",
                "'sum'",
                "COALESCE(r.duration_s, 0)",
                "r.status = 'completed'",
            ),
        ],
    ),
    Tracked(
        "stage_runs",
        ("stage", "status", "duration_s"),
        [
            Part("mumu_stage_runs", "r.stage", "r.status", "'count'", "1"),
            *histogram(
                "mumu_stage_duration_seconds",
                "r.stage",
                "''",
                "r.duration_s",
                "r.duration_s IS NOT NULL AND r.status IN ('completed', 'failed')",
            ),
        ],
    ),
    Tracked(
        "pipeline_runs",
        ("flow", "status", "duration_s"),
        histogram(
            "mumu_pipeline_duration_seconds",
            "r.flow",
            "r.status",
            "r.duration_s",
            "r.duration_s IS NOT NULL",
        ),
    ),
    Tracked(
        "segments",
        ("flag",),
        [
            Part(
                "mumu_flagged_segments",
                "CASE WHEN r.flag LIKE 'repetition loop%' THEN 'repetition' "
                "WHEN r.flag LIKE 'no speech%' THEN 'no_speech' "
                "WHEN r.flag LIKE 'crosstalk%' THEN 'crosstalk' ELSE 'unclear' END",
                "''",
                "'count'",
                "1",
                "r.flag IS NOT NULL",
            )
        ],
        when="r.flag IS NOT NULL",
    ),
    Tracked(
        "insights",
        ("prompt_tokens", "completion_tokens"),
        [
            Part("mumu_llm_tokens", "'prompt'", "''", "'sum'", "r.prompt_tokens"),
            Part("mumu_llm_tokens", "'completion'", "''", "'sum'", "r.completion_tokens"),
        ],
    ),
)


def upsert(tracked: Tracked, rows: Sequence[tuple[str, int, str]]) -> str:
    """One statement adding each part of the rows ``(alias, sign, FROM clause)``."""
    selects = [
        part.select(row, sign, source) for row, sign, source in rows for part in tracked.parts
    ]
    return UPSERT.format(parts=" UNION ALL ".join(selects))


def when(tracked: Tracked, *rows: str) -> str:
    if not tracked.when:
        return ""
    held = " OR ".join(f"({tracked.when.replace('r.', f'{row}.')})" for row in rows)
    return f"WHEN ({held})"


def create_postgres_triggers(tracked: Tracked) -> None:
    """Statement triggers over transition tables: a statement writing a thousand rows
    adds them up in one upsert (row triggers updating the same totals again and again
    in one transaction leave a chain of row versions each update walks)."""
    name = f"mumu_totals_{tracked.table}"
    new, old = ("r", 1, "FROM new_rows AS r"), ("r", -1, "FROM old_rows AS r")
    for event, referencing, rows in (
        ("INSERT", "NEW TABLE AS new_rows", [new]),
        ("DELETE", "OLD TABLE AS old_rows", [old]),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", [old, new]),
    ):
        function = f"{name}_{event.lower()}"
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {upsert(tracked, rows)}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {function} AFTER {event} ON {tracked.table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    metrics = ", ".join(sorted({f"'{part.metric}'" for part in tracked.parts}))
    op.execute(
        f"CREATE FUNCTION {name}_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ "  # noqa: S608
        f"BEGIN DELETE FROM metric_totals WHERE metric IN ({metrics}); RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {tracked.table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_truncated()"
    )


def create_sqlite_triggers(tracked: Tracked) -> None:
    name = f"mumu_totals_{tracked.table}"
    columns = ", ".join(tracked.columns)
    for event, rows in (
        ("INSERT", [("new", 1, "")]),
        ("DELETE", [("old", -1, "")]),
        (f"UPDATE OF {columns}", [("old", -1, ""), ("new", 1, "")]),
    ):
        suffix = event.split()[0].lower()
        op.execute(
            f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {tracked.table} "
            f"{when(tracked, *(row for row, _, _ in rows))} "
            f"BEGIN {upsert(tracked, rows)}; END"
        )


def upgrade() -> None:
    op.create_table(
        "metric_totals",
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("label_a", sa.String(length=64), nullable=False),
        sa.Column("label_b", sa.String(length=64), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "label_a", "label_b", "part"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # a few dozen rows updated all day: room on the page, vacuumed often
        op.execute(
            "ALTER TABLE metric_totals SET (fillfactor = 50, "
            "autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_scale_factor = 0)"
        )
    for tracked in TRACKED:
        if postgres:
            create_postgres_triggers(tracked)
        else:
            create_sqlite_triggers(tracked)
        op.execute(upsert(tracked, [("r", 1, f"FROM {tracked.table} AS r")]))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for tracked in TRACKED:
        name = f"mumu_totals_{tracked.table}"
        if postgres:
            for suffix in ("insert", "delete", "update", "truncated"):
                op.execute(f"DROP FUNCTION {name}_{suffix}() CASCADE")
        else:
            for suffix in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {name}_{suffix}")
    op.drop_table("metric_totals")
