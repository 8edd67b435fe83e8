"""Prometheus metrics read at scrape time from mumu's database and Prefect's API.

Flow runs happen in other processes and containers than the sidecar, so counting in the
sidecar's memory would see nothing. Every run leaves rows behind (pipeline runs, stage
runs, recordings, insights), and triggers in the database keep a running total per label
set as those rows change (``metric_totals``, migration 0011), so a scrape reads a few
dozen rows whatever the history. That works across any number of workers and machines,
needs no shared volume, and survives restarts of either side. A run that crashes before
mumu's code starts (an image that does not start, a network that does not exist) leaves
no row: the Prefect server still knows it, so mumu's flow runs are also counted from its
API.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine, select
from sqlmodel import col

from mumu.db.engine import read_engine
from mumu.db.models import MetricTotal
from mumu.settings import Settings
from mumu.transcription.fallback import STEPS

MUMU_FLOWS = (
    "process-recording",
    "process-batch",
    "inbox",
    "ask",
    "erase",
    "retention",
    "evaluate",
)
HISTORY_START = datetime(2020, 1, 1, tzinfo=UTC)
DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)


class DatabaseCollector(Collector):
    """Yields ``mumu_database_up`` always, and the pipeline's metrics while it is 1."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        try:
            metrics = list(self._from_database(read_engine(self.settings.database)))
        except Exception:  # noqa: BLE001 - a scrape must answer even with the database down
            yield GaugeMetricFamily("mumu_database_up", "mumu's database answers.", value=0)
            return
        yield GaugeMetricFamily("mumu_database_up", "mumu's database answers.", value=1)
        yield from metrics

    def _from_database(self, engine: Engine) -> Iterator[Metric]:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    col(MetricTotal.metric),
                    col(MetricTotal.label_a),
                    col(MetricTotal.label_b),
                    col(MetricTotal.part),
                    col(MetricTotal.value),
                )
            ).all()
        totals: Totals = {}
        for row in rows:
            totals.setdefault(row.metric, {}).setdefault((row.label_a, row.label_b), {})[
                row.part
            ] = max(round(row.value, 6), 0.0)  # added and taken away: float residue

        yield _histogram(
            totals,
            "mumu_pipeline_duration_seconds",
            "Wall time of flow runs, by flow and final status.",
            ["flow", "status"],
        )
        yield _histogram(
            totals,
            "mumu_stage_duration_seconds",
            "Duration of the latest run of each recording's stages, by stage.",
            ["stage"],
        )
        yield _gauge(
            totals,
            "mumu_stage_runs",
            "Recordings by stage and the status of that stage's latest run.",
            ["stage", "status"],
        )
        yield _gauge(
            totals,
            "mumu_recordings",
            "Recordings in mumu's database, by their current status.",
            ["status"],
        )
        yield _gauge(
            totals,
            "mumu_flagged_segments",
            "Transcript segments the hallucination gate kept out of the text, by kind.",
            ["kind"],
        )

        audio = totals.get("mumu_audio_seconds", {}).get(("", ""), {}).get("sum", 0.0)
        yield CounterMetricFamily(
            "mumu_audio_seconds", "Seconds of audio in completed recordings.", value=audio
        )

        tokens = CounterMetricFamily(
            "mumu_llm_tokens", "LLM tokens spent on stored insights.", labels=["kind"]
        )
        spent = totals.get("mumu_llm_tokens", {})
        for kind in ("prompt", "completion"):
            tokens.add_metric([kind], spent.get((kind, ""), {}).get("sum", 0.0))
        yield tokens

        fallbacks = CounterMetricFamily(
            "mumu_transcription_fallbacks",
            "Stored transcripts that needed a fallback when the GPU ran out of memory, by "
            "the step that made them (smaller_batch, int8, cpu).",
            labels=["step"],
        )
        needed = totals.get("mumu_transcription_fallbacks", {})
        for step in STEPS:
            fallbacks.add_metric([step], needed.get((step, ""), {}).get("count", 0.0))
        yield fallbacks


class PrefectRunsCollector(Collector):
    """``mumu_flow_runs``: mumu's flow runs on the Prefect server, by flow and state type."""

    def __init__(self, api_url: str, auth_string: str | None = None) -> None:
        """``auth_string``: the server's ``PREFECT_SERVER_API_AUTH_STRING``, sent as the
        Basic credential Prefect's own client sends."""
        self.api_url = api_url.rstrip("/")
        self.headers = {}
        if auth_string:
            encoded = base64.b64encode(auth_string.encode()).decode()
            self.headers["Authorization"] = f"Basic {encoded}"

    def collect(self) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "mumu_flow_runs",
            "Flow runs of mumu's flows known to the Prefect server, by flow and state type "
            "(also runs that crashed before mumu's code ran).",
            labels=["flow", "state"],
        )
        try:
            with httpx.Client(base_url=self.api_url, headers=self.headers, timeout=5) as client:
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


Totals = dict[str, dict[tuple[str, str], dict[str, float]]]


def _gauge(totals: Totals, metric: str, documentation: str, labels: list[str]) -> Metric:
    """A gauge of the label sets that count something (one whose rows are all gone
    reads 0 and is left out)."""
    gauge = GaugeMetricFamily(metric, documentation, labels=labels)
    for values, parts in sorted(totals.get(metric, {}).items()):
        count = round(parts.get("count", 0.0))
        if count > 0:
            gauge.add_metric(list(values[: len(labels)]), count)
    return gauge


def _histogram(totals: Totals, metric: str, documentation: str, labels: list[str]) -> Metric:
    """Cumulative buckets and sum of each label set from its per-bucket totals."""
    histogram = HistogramMetricFamily(metric, documentation, labels=labels)
    for values, parts in sorted(totals.get(metric, {}).items()):
        count = round(parts.get("count", 0.0))
        if count <= 0:
            continue
        cumulative, buckets = 0, []
        for bound in DURATION_BUCKETS:
            cumulative += round(parts.get(str(bound), 0.0))
            buckets.append((str(bound), float(cumulative)))
        buckets.append(("+Inf", float(count)))
        histogram.add_metric(list(values[: len(labels)]), buckets, parts.get("sum", 0.0))
    return histogram
