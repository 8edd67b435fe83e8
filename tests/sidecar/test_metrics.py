"""The metrics' running totals: the same numbers as adding up the whole history, read
from one small table however long the history is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from mumu.settings import Settings
from mumu.sidecar.metrics import DURATION_BUCKETS, DatabaseCollector

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], Any]
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def scraped(settings: Settings) -> Samples:
    samples: Samples = {}
    for family in DatabaseCollector(settings).collect():
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            samples[key] = pytest.approx(sample.value)
    return samples


def from_history(engine: Engine) -> Samples:
    """What the metrics were before they were kept as totals: every row added up."""
    samples: Samples = {("mumu_database_up", ()): 1}

    def histogram(name: str, labels: list[str], query: str) -> None:
        rows: dict[tuple[str, ...], list[float]] = {}
        for row in connection.execute(text(query)):
            rows.setdefault(tuple(row[:-1]), []).append(row[-1])
        for values, durations in rows.items():
            named = list(zip(labels, values, strict=True))
            for bound in DURATION_BUCKETS:
                le = (*named, ("le", str(bound)))
                samples[(f"{name}_bucket", tuple(sorted(le)))] = sum(d <= bound for d in durations)
            samples[(f"{name}_bucket", tuple(sorted((*named, ("le", "+Inf")))))] = len(durations)
            samples[(f"{name}_count", tuple(sorted(named)))] = len(durations)
            samples[(f"{name}_sum", tuple(sorted(named)))] = pytest.approx(sum(durations))

    def counts(name: str, labels: list[str], query: str) -> None:
        for *values, count in connection.execute(text(query)):
            samples[(name, tuple(sorted(zip(labels, values, strict=True))))] = count

    with engine.connect() as connection:
        histogram(
            "mumu_pipeline_duration_seconds",
            ["flow", "status"],
            "SELECT flow, status, duration_s FROM pipeline_runs",
        )
        histogram(
            "mumu_stage_duration_seconds",
            ["stage"],
            "SELECT stage, duration_s FROM stage_runs "
            "WHERE duration_s IS NOT NULL AND status IN ('completed', 'failed')",
        )
        counts(
            "mumu_stage_runs",
            ["stage", "status"],
            "SELECT stage, status, count(*) FROM stage_runs GROUP BY stage, status",
        )
        counts("mumu_recordings", ["status"], "SELECT status, count(*) FROM recordings GROUP BY 1")
        counts(
            "mumu_flagged_segments",
            ["kind"],
            "SELECT CASE WHEN flag LIKE 'repetition loop%' THEN 'repetition' "
            "WHEN flag LIKE 'no speech%' THEN 'no_speech' WHEN flag LIKE 'crosstalk%' "
            "THEN 'crosstalk' ELSE 'unclear' END, count(*) FROM segments "
            "WHERE flag IS NOT NULL GROUP BY 1",
        )
        audio = connection.execute(
            text("SELECT COALESCE(SUM(duration_s), 0) FROM recordings WHERE status = 'completed'")
        ).scalar_one()
        samples[("mumu_audio_seconds_total", ())] = pytest.approx(audio)
        prompt, completion = connection.execute(
            text(
                "SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
                "FROM insights"
            )
        ).one()
        samples[("mumu_llm_tokens_total", (("kind", "prompt"),))] = prompt
        samples[("mumu_llm_tokens_total", (("kind", "completion"),))] = completion
        for step in ("smaller_batch", "int8", "cpu"):
            samples[("mumu_transcription_fallbacks_total", (("step", step),))] = 0
        counts(
            "mumu_transcription_fallbacks_total",
            ["step"],
            "SELECT CASE WHEN fallback LIKE 'batch%' THEN 'smaller_batch' "
            "WHEN fallback LIKE 'int8%' THEN 'int8' ELSE 'cpu' END, count(*) "
            "FROM transcripts WHERE fallback IS NOT NULL GROUP BY 1",
        )
    return samples


def recording(connection: Any, number: int, status: str, duration: float | None) -> None:
    connection.execute(
        text(
            "INSERT INTO recordings (id, source, sha256, status, duration_s, speakers, "
            "created_at, updated_at) VALUES (:id, :source, :sha, :status, :duration, '{}', "
            ":now, :now)"
        ),
        {
            "id": number,
            "source": f"/calls/{number}.wav",
            "sha": f"{number:064x}",
            "status": status,
            "duration": duration,
            "now": NOW,
        },
    )


def segments(connection: Any, number: int, flags: list[str | None]) -> None:
    for index, flag in enumerate(flags):
        connection.execute(
            text(
                'INSERT INTO segments (recording_id, idx, start, "end", text, avg_logprob, '
                "no_speech_prob, words, flag) VALUES (:recording, :idx, :start, :end, 'words', "
                "-0.2, 0.1, '[]', :flag)"
            ),
            {"recording": number, "idx": index, "start": index, "end": index + 1, "flag": flag},
        )


def stage_run(
    connection: Any, number: int, stage: str, status: str, duration: float | None
) -> None:
    connection.execute(
        text(
            "INSERT INTO stage_runs (recording_id, stage, status, attempts, duration_s) "
            "VALUES (:recording, :stage, :status, 1, :duration)"
        ),
        {"recording": number, "stage": stage, "status": status, "duration": duration},
    )


def transcript(connection: Any, number: int, fallback: str | None) -> None:
    connection.execute(
        text(
            "INSERT INTO transcripts (recording_id, text, model, settings_key, created_at, "
            "fallback) VALUES (:recording, 'words', 'm', 'k', :now, :fallback)"
        ),
        {"recording": number, "now": NOW, "fallback": fallback},
    )


def pipeline_run(connection: Any, flow: str, status: str, duration: float) -> None:
    connection.execute(
        text(
            "INSERT INTO pipeline_runs (flow, status, started_at, finished_at, duration_s) "
            "VALUES (:flow, :status, :now, :now, :duration)"
        ),
        {"flow": flow, "status": status, "now": NOW, "duration": duration},
    )


@pytest.mark.both_databases
def test_totals_kept_as_rows_change_are_the_numbers_of_the_whole_history(
    settings: Settings, engine: Engine
) -> None:
    with engine.begin() as connection:
        recording(connection, 1, "running", None)
        recording(connection, 2, "completed", 61.5)
        recording(connection, 3, "failed", 4.0)
        segments(connection, 1, [None, "repetition loop (x4)", "no speech (p=0.9)", None])
        segments(connection, 2, ["crosstalk from channel 2", "low confidence", None])
        transcript(connection, 1, "batch 2")
        transcript(connection, 2, "cpu")
        transcript(connection, 3, None)
        for stage, status, duration in [
            ("ingest", "completed", 0.2),
            ("audio", "completed", 3.0),
            ("transcribe", "running", None),
        ]:
            stage_run(connection, 1, stage, status, duration)
        stage_run(connection, 2, "transcribe", "completed", 42.0)
        stage_run(connection, 3, "audio", "failed", 7300.0)
        for flow, status, duration in [
            ("process-recording", "completed", 95.0),
            ("process-recording", "completed", 0.5),
            ("process-recording", "failed", 12.0),
            ("process-batch", "completed", 300.0),
        ]:
            pipeline_run(connection, flow, status, duration)
        connection.execute(
            text(
                "INSERT INTO insights (recording_id, title, summary, action_items, chapters, "
                "model, prompt_version, prompt_tokens, completion_tokens, llm_calls, created_at) "
                "VALUES (2, 't', 's', '[]', '[]', 'm', '2', 1200, 300, 1, :now)"
            ),
            {"now": NOW},
        )
    assert scraped(settings) == from_history(engine)

    with engine.begin() as connection:  # a run finishes, a transcript is replaced, notes redone
        connection.execute(
            text("UPDATE recordings SET status = 'completed', duration_s = 30 WHERE id = 1")
        )
        connection.execute(
            text("UPDATE stage_runs SET status = 'completed', duration_s = 25.5 WHERE id = 3")
        )
        connection.execute(text("UPDATE stage_runs SET duration_s = 1.0 WHERE id = 1"))
        connection.execute(text("UPDATE recordings SET duration_s = 65 WHERE id = 2"))
        connection.execute(text("DELETE FROM segments WHERE recording_id = 2"))
        segments(connection, 2, [None, "no speech (p=0.8)"])
        connection.execute(text("UPDATE segments SET flag = NULL WHERE flag LIKE 'repetition%'"))
        connection.execute(text("UPDATE insights SET prompt_tokens = 900, completion_tokens = 250"))
        connection.execute(text("UPDATE recordings SET heartbeat_at = :now"), {"now": NOW})
        connection.execute(text("DELETE FROM transcripts WHERE recording_id IN (1, 3)"))
        transcript(connection, 1, "int8_float16")
        transcript(connection, 3, "batch 1")
        connection.execute(text("UPDATE transcripts SET fallback = 'int8' WHERE recording_id = 3"))
    assert scraped(settings) == from_history(engine)
    assert scraped(settings)[("mumu_transcription_fallbacks_total", (("step", "int8"),))] == 2

    with engine.begin() as connection:  # a recording forgotten: its rows go with it
        connection.execute(text("DELETE FROM recordings WHERE id = 2"))
    after = scraped(settings)
    assert after == from_history(engine)
    assert ("mumu_recordings", (("status", "completed"),)) in after
    assert after[("mumu_audio_seconds_total", ())] == 30
    assert after[("mumu_llm_tokens_total", (("kind", "prompt"),))] == 0
    assert after[("mumu_transcription_fallbacks_total", (("step", "cpu"),))] == 0


@pytest.mark.both_databases
def test_a_scrape_reads_only_the_totals(settings: Settings, engine: Engine) -> None:
    with engine.begin() as connection:
        for number in range(1, 21):
            recording(connection, number, "completed", 10.0)
            stage_run(connection, number, "transcribe", "completed", number)
            pipeline_run(connection, "process-recording", "completed", number)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        samples = scraped(settings)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert samples[("mumu_recordings", (("status", "completed"),))] == 20
    assert len(statements) == 1, statements
    assert "metric_totals" in statements[0]
    assert not any(table in statements[0] for table in ("recordings", "stage_runs", "segments"))


@pytest.mark.both_databases
def test_history_stored_before_the_totals_existed_is_counted(
    settings: Settings, engine: Engine, database_url: str
) -> None:
    from alembic import command

    from mumu.db.engine import alembic_config, upgrade

    config = alembic_config(database_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    with engine.begin() as connection:
        for number, status in ((1, "completed"), (2, "failed"), (3, "completed")):
            recording(connection, number, status, 30.0 * number)
            stage_run(connection, number, "transcribe", status, 2.0 * number)
            pipeline_run(connection, "process-recording", status, 40.0 * number)
        segments(connection, 1, ["no speech (p=0.7)", None, "repetition loop (x3)"])
    upgrade(database_url)
    totals = scraped(settings)
    assert totals == from_history(engine)
    assert totals[("mumu_recordings", (("status", "completed"),))] == 2
    assert totals[("mumu_audio_seconds_total", ())] == 120


def test_the_migration_buckets_durations_as_the_metrics_read_them() -> None:
    import importlib.util

    from mumu.migrations import __file__ as migrations

    path = Path(migrations).parent / "versions" / "0011_metric_totals.py"
    spec = importlib.util.spec_from_file_location("metric_totals_migration", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert [str(bound) for bound in DURATION_BUCKETS] == migration.DURATION_BUCKETS
