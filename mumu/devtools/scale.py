"""How reads hold up as a library grows: synthetic recordings seeded into a scratch
database, then each read timed at each size.

Growth, not absolute time, is the point: a read whose cost follows its answer stays
flat as the library grows tenfold. Each recording gets ``SEGMENTS_PER_RECORDING``
segments (a million recordings make ten million segments) of words drawn from a made-up
vocabulary with Zipf's law, so search has realistic postings (the word of rank
``MIDDLING_RANK`` is in about one segment in eighty), one planted common word
(``COMMON``, in about one segment in six, as "refund" is in a support team's calls) and
one rare word (``RARE``, one segment in ten thousand), four stage runs and a pipeline
run (what the metrics read). Sizes are seeded one on top of the other; each read is
timed as the median of a few repeats, in this process, and the read commands as a user
starts them: a new ``mumu`` process, timed to its first line of output.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlmodel import col

from mumu.db import views
from mumu.db.models import PipelineRun, Recording, Segment, Stage, StageRun
from mumu.library import export
from mumu.library.search import search

SEGMENTS_PER_RECORDING = 10
WORDS_PER_SEGMENT = 12
COMMON = "refund"
COMMON_EVERY = 6
RARE = "kubernetes"
RARE_EVERY = 10_000
BATCH = 2000
ROWS_PER_STATEMENT = 1000
MIDDLING_RANK = 100
REPEATS = 5
STAGES = (Stage.INGEST, Stage.AUDIO, Stage.TRANSCRIBE, Stage.INSIGHTS)


def vocabulary(size: int = 5000, seed: int = 7) -> list[str]:
    """Pronounceable made-up words, the first ones drawn most often (Zipf-like)."""
    chooser = random.Random(seed)  # noqa: S311 - made-up words, not secrets
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < size:
        syllables = chooser.randint(1, 3)
        words.add(
            "".join(chooser.choice(consonants) + chooser.choice(vowels) for _ in range(syllables))
        )
    ranked = sorted(words)  # a set's order changes from process to process
    chooser.shuffle(ranked)
    return ranked


def seed(engine: Engine, recordings: int) -> int:
    """Add synthetic recordings until the library holds ``recordings``; how many it has."""
    with engine.connect() as connection:
        have = int(connection.execute(select(func.count()).select_from(Recording)).scalar_one())
        first_segment = connection.execute(select(func.max(col(Segment.id)))).scalar() or 0
    words = vocabulary()
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    chooser = random.Random(have)  # noqa: S311 - synthetic data, not secrets
    next_segment = first_segment + 1
    started = datetime(2024, 1, 1, tzinfo=UTC)
    for batch_start in range(have + 1, recordings + 1, BATCH):
        ids = range(batch_start, min(batch_start + BATCH, recordings + 1))
        rows: dict[Any, list[dict[str, Any]]] = {
            Recording: [],
            Segment: [],
            StageRun: [],
            PipelineRun: [],
        }
        for recording_id in ids:
            created = started + timedelta(minutes=recording_id)
            status = "failed" if recording_id % 50 == 0 else "completed"
            rows[Recording].append(
                {
                    "id": recording_id,
                    "source": f"/library/{created:%Y/%m/%d}/call-{recording_id}.wav",
                    "sha256": f"{recording_id:064x}",
                    "status": status,
                    "duration_s": 600.0,
                    "channels": 1,
                    "language": "en",
                    "speakers": {},
                    "created_at": created,
                    "updated_at": created,
                }
            )
            for index in range(SEGMENTS_PER_RECORDING):
                said = chooser.choices(words, cum_weights=cumulative, k=WORDS_PER_SEGMENT)
                if next_segment % COMMON_EVERY == 0:
                    said[3] = COMMON
                if next_segment % RARE_EVERY == 0:
                    said[7] = RARE
                rows[Segment].append(
                    {
                        "id": next_segment,
                        "recording_id": recording_id,
                        "idx": index,
                        "start": index * 20.0,
                        "end": index * 20.0 + 19.5,
                        "text": " ".join(said).capitalize() + ".",
                        "avg_logprob": -0.3,
                        "no_speech_prob": 0.02,
                        "words": [],
                    }
                )
                next_segment += 1
            for stage in STAGES:
                rows[StageRun].append(
                    {
                        "recording_id": recording_id,
                        "stage": stage,
                        "status": "completed",
                        "attempts": 1,
                        "duration_s": chooser.uniform(0.1, 90),
                    }
                )
            rows[PipelineRun].append(
                {
                    "flow": "process-recording",
                    "status": status,
                    "recording_id": recording_id,
                    "started_at": created,
                    "finished_at": created + timedelta(seconds=95),
                    "duration_s": chooser.uniform(20, 200),
                }
            )
        with engine.begin() as connection:  # multi-row statements: a trigger per statement
            for model, values in rows.items():
                for start in range(0, len(values), ROWS_PER_STATEMENT):
                    chunk = values[start : start + ROWS_PER_STATEMENT]
                    connection.execute(insert(model).values(chunk))
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("recordings", "segments"):  # ids were given: move the sequences on
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            connection.execute(text("ANALYZE"))
    return max(have, recordings)


def reads(engine: Engine, recordings: int) -> dict[str, Callable[[], object]]:
    """The reads a user and a scraper make, on a library of ``recordings``."""
    from pydantic import SecretStr

    from mumu.settings import Settings
    from mumu.sidecar.metrics import DatabaseCollector

    middle = recordings // 2 or 1
    middling = vocabulary()[MIDDLING_RANK]
    everything = views.RecordingFilter()
    failed = views.RecordingFilter(status="failed")
    url = SecretStr(engine.url.render_as_string(hide_password=False))
    collector = DatabaseCollector(Settings(database_url=url))

    def show() -> object:
        return views.recording_detail(engine, middle)

    def export_srt() -> object:
        detail = views.recording_detail(engine, middle)
        return export.render(detail, "srt") if detail else ""

    return {
        "list: first page": lambda: list(views.page_of_recordings(engine, everything, 50)),
        "list: count": lambda: views.count_recordings(engine, everything),
        "list: failed, page 2": lambda: list(
            views.page_of_recordings(engine, failed, 50, offset=50)
        ),
        f"search: {COMMON} (common)": lambda: search(engine, COMMON, 10),
        f"search: {middling} (1 in 80)": lambda: search(engine, middling, 10),
        f"search: {RARE} (rare)": lambda: search(engine, RARE, 10),
        f'search: "{COMMON} ..." phrase': lambda: search(engine, f'"{COMMON}"', 10),
        "show": show,
        "export srt": export_srt,
        "metrics scrape": lambda: list(collector.collect()),
        "start: mumu list": first_line(url.get_secret_value(), "list"),
        "start: mumu show": first_line(url.get_secret_value(), "show", str(middle)),
        f"start: mumu search {COMMON}": first_line(url.get_secret_value(), "search", COMMON),
    }


def first_line(url: str, *arguments: str) -> Callable[[], object]:
    """A read command as its user runs it, from a new process to its first line."""
    environment = {**os.environ, "MUMU_DATABASE_URL": url, "COLUMNS": "120"}

    def run() -> object:
        with subprocess.Popen(  # noqa: S603 - this interpreter, mumu's own command
            [sys.executable, "-m", "mumu", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment,
        ) as command:
            said = command.stdout.readline() if command.stdout else b""
            command.kill()
        if not said:
            raise RuntimeError(f"mumu {' '.join(arguments)} printed nothing")
        return said

    return run


def median_seconds(read: Callable[[], object], repeats: int = REPEATS) -> float:
    read()  # warm: connections, caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(engine: Engine, sizes: list[int]) -> Iterator[tuple[int, dict[str, float]]]:
    """Seed each size in turn and time every read on it."""
    for size in sorted(sizes):
        seeded = seed(engine, size)
        yield seeded, {name: median_seconds(read) for name, read in reads(engine, seeded).items()}
