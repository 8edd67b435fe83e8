"""Prometheus metrics read at scrape time from mumu's database and Prefect's API.

Flow runs happen in other processes and containers than the sidecar, so counting in the
sidecar's memory would see nothing. Every run leaves rows behind (pipeline runs, stage
runs, recordings, insights); a collector turns them into metrics on each scrape. That
works across any number of workers and machines, needs no shared volume, and survives
restarts of either side. A run that crashes before mumu's code starts (an image that
does not start, a network that does not exist) leaves no row: the Prefect server still
knows it, so mumu's flow runs are also counted from its API.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from mumu.db.engine import read_engine
from mumu.db.models import (
    Insight,
    PipelineRun,
    Recording,
    RecordingStatus,
    Segment,
    StageRun,
    StageStatus,
)
from mumu.settings import Settings

MUMU_FLOWS = ("process-recording", "process-batch", "inbox", "ask")
HISTORY_START = datetime(2020, 1, 1, tzinfo=UTC)
DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)


class DatabaseCollector(Collector):
    """Yields ``mumu_database_up`` always, and the pipeline's metrics while it is 1."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        try:
            metrics = list(self._from_database(read_engine(self.settings)))
        except Exception:  # noqa: BLE001 - a scrape must answer even with the database down
            yield GaugeMetricFamily("mumu_database_up", "mumu's database answers.", value=0)
            return
        yield GaugeMetricFamily("mumu_database_up", "mumu's database answers.", value=1)
        yield from metrics

    def _from_database(self, engine: Engine) -> Iterator[Metric]:
        with engine.connect() as connection:
            pipeline = HistogramMetricFamily(
                "mumu_pipeline_duration_seconds",
                "Wall time of flow runs, by flow and final status.",
                labels=["flow", "status"],
            )
            for labels, buckets, total in _histogram(
                connection,
                col(PipelineRun.duration_s),
                [col(PipelineRun.flow), col(PipelineRun.status)],
            ):
                pipeline.add_metric(labels, buckets, total)
            yield pipeline

            stages = HistogramMetricFamily(
                "mumu_stage_duration_seconds",
                "Duration of the latest run of each recording's stages, by stage.",
                labels=["stage"],
            )
            finished = col(StageRun.status).in_([StageStatus.COMPLETED, StageStatus.FAILED])
            for labels, buckets, total in _histogram(
                connection, col(StageRun.duration_s), [col(StageRun.stage)], where=finished
            ):
                stages.add_metric(labels, buckets, total)
            yield stages

            stage_runs = GaugeMetricFamily(
                "mumu_stage_runs",
                "Recordings by stage and the status of that stage's latest run.",
                labels=["stage", "status"],
            )
            for stage, status, count in connection.execute(
                select(col(StageRun.stage), col(StageRun.status), func.count()).group_by(
                    col(StageRun.stage), col(StageRun.status)
                )
            ):
                stage_runs.add_metric([stage, status], count)
            yield stage_runs

            recordings = GaugeMetricFamily(
                "mumu_recordings",
                "Recordings in mumu's database, by their current status.",
                labels=["status"],
            )
            for status, count in connection.execute(
                select(col(Recording.status), func.count()).group_by(col(Recording.status))
            ):
                recordings.add_metric([status], count)
            yield recordings

            flagged = GaugeMetricFamily(
                "mumu_flagged_segments",
                "Transcript segments the hallucination gate kept out of the text, by kind.",
                labels=["kind"],
            )
            flag = col(Segment.flag)
            kind = case(
                (flag.like("repetition loop%"), "repetition"),
                (flag.like("no speech%"), "no_speech"),
                (flag.like("crosstalk%"), "crosstalk"),
                else_="unclear",
            )
            for label, count in connection.execute(
                select(kind, func.count()).where(flag.is_not(None)).group_by(kind)
            ):
                flagged.add_metric([label], count)
            yield flagged

            audio = connection.execute(
                select(func.coalesce(func.sum(col(Recording.duration_s)), 0.0)).where(
                    col(Recording.status) == RecordingStatus.COMPLETED
                )
            ).scalar_one()
            yield CounterMetricFamily(
                "mumu_audio_seconds", "Seconds of audio in completed recordings.", value=audio
            )

            prompt, completion = connection.execute(
                select(
                    func.coalesce(func.sum(col(Insight.prompt_tokens)), 0),
                    func.coalesce(func.sum(col(Insight.completion_tokens)), 0),
                )
            ).one()
            tokens = CounterMetricFamily(
                "mumu_llm_tokens", "LLM tokens spent on stored insights.", labels=["kind"]
            )
            tokens.add_metric(["prompt"], prompt)
            tokens.add_metric(["completion"], completion)
            yield tokens


class PrefectRunsCollector(Collector):
    """``mumu_flow_runs``: mumu's flow runs on the Prefect server, by flow and state type."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")

    def collect(self) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "mumu_flow_runs",
            "Flow runs of mumu's flows known to the Prefect server, by flow and state type "
            "(also runs that crashed before mumu's code ran).",
            labels=["flow", "state"],
        )
        try:
            with httpx.Client(base_url=self.api_url, timeout=5) as client:
                for flow in MUMU_FLOWS:
                    for state, count in _state_counts(client, flow).items():
                        runs.add_metric([flow, state], count)
        except (httpx.HTTPError, ValueError, KeyError):
            yield GaugeMetricFamily("mumu_prefect_api_up", "Prefect's API answers.", value=0)
            return
        yield GaugeMetricFamily("mumu_prefect_api_up", "Prefect's API answers.", value=1)
        yield runs


def _state_counts(client: httpx.Client, flow: str) -> dict[str, int]:
    """Counts by state type of every run of ``flow``: Prefect's run history, one interval."""
    end = datetime.now(UTC) + timedelta(days=1)
    response = client.post(
        "/flow_runs/history",
        json={
            "history_start": HISTORY_START.isoformat(),
            "history_end": end.isoformat(),
            "history_interval_seconds": (end - HISTORY_START).total_seconds(),
            "flows": {"name": {"any_": [flow]}},
        },
    )
    response.raise_for_status()
    counts: dict[str, int] = {}
    for interval in response.json():
        for state in interval["states"]:
            counts[state["state_type"]] = counts.get(state["state_type"], 0) + state["count_runs"]
    return counts


def _histogram(
    connection: Any,
    value: Any,
    labels: Sequence[Any],
    where: ColumnElement[bool] | None = None,
) -> Iterable[tuple[list[str], list[tuple[str, float]], float]]:
    """Cumulative bucket counts and sums per label set, computed by the database."""
    columns: list[Any] = [
        func.sum(case((value <= bound, 1), else_=0)) for bound in DURATION_BUCKETS
    ]
    query = select(*labels, func.count(), func.coalesce(func.sum(value), 0.0), *columns)
    query = query.where(value.is_not(None))
    if where is not None:
        query = query.where(where)
    for row in connection.execute(query.group_by(*labels)):
        label_values = [str(v) for v in row[: len(labels)]]
        count, total = row[len(labels)], row[len(labels) + 1]
        cumulative = [int(c or 0) for c in row[len(labels) + 2 :]]
        buckets = [(str(b), float(c)) for b, c in zip(DURATION_BUCKETS, cumulative, strict=True)]
        buckets.append(("+Inf", float(count)))
        yield label_values, buckets, float(total)
