"""Shared fixtures: real audio, the databases, a Prefect test server, a fake LLM.

A test that takes the database runs on SQLite; one marked ``both_databases`` (the
database layer, search) runs on SQLite and Postgres, and a test may ask for one of them
with ``@pytest.mark.parametrize("database_url", [...], indirect=True)``. Tests on
Postgres are marked ``postgres`` here, so ``-m "not postgres"`` runs without a server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from mumu.db.engine import engine_for, get_engine
from mumu.db.models import Insight, Recording, Segment, StageRun, Transcript
from mumu.settings import Settings, get_settings
from tests.fake_llm import FakeLLM

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("MUMU_TEST_DATA", REPO.parent / "shared" / "data"))
REFERENCES: dict[str, Any] = json.loads((DATA_DIR / "references.json").read_text())
POSTGRES_ADMIN_URL = os.environ.get(
    "MUMU_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TABLES = (
    "erasures",
    "questions",
    "pipeline_runs",
    "stage_runs",
    "insights",
    "segments",
    "transcripts",
    "recordings",
)


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No user configuration leaks in: fresh MUMU_HOME, no keys, no .env in the cwd."""
    patch = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith(("MUMU_", "OPENAI_")) and name != "MUMU_TEST_DATA":
            patch.delenv(name)
    home = tmp_path_factory.mktemp("mumu-home")
    patch.setenv("MUMU_HOME", str(home))
    patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    patch.chdir(home)
    get_settings.cache_clear()
    yield home
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


def create_database(purpose: str) -> str:
    """A new Postgres database on the test server; its SQLAlchemy URL."""
    name = f"mumu_{purpose}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def drop_database(url: str) -> None:
    get_engine(url).dispose()
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test session, created here and dropped after."""
    url = create_database("test")
    yield url
    drop_database(url)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" not in metafunc.fixturenames:
        return
    chosen = any(
        "database_url" in str(marker.args[0])
        for marker in metafunc.definition.iter_markers("parametrize")
    )
    if not chosen:
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        metafunc.parametrize(
            "database_url", ["sqlite", "postgres"] if both else ["sqlite"], indirect=True
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec is not None and "postgres" in spec.params.values():
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mumu.db'}"
    url: str = request.getfixturevalue("postgres_url")
    engine = get_engine(url)
    from mumu.db.engine import upgrade

    upgrade(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    return url


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[Settings]:
    monkeypatch.setenv("MUMU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def engine(settings: Settings) -> Any:
    return engine_for(settings.database)


@pytest.fixture(scope="session")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One PREFECT_HOME for every ``mumu`` subprocess, so one local API serves them all
    (``LOCAL_API_IDLE_S``); it is stopped when the session ends."""
    home = tmp_path_factory.mktemp("prefect-home")
    yield home
    try:
        pid = int(json.loads((home / "mumu-local-api.json").read_text())["pid"])
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError, KeyError):
        pass


LOCAL_API_IDLE_S = "900"
"""Longer than the gaps between one worker's tests that run ``mumu``: each start of the
local API costs seconds."""


def user_environment(database_url: str, prefect_home: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a user running ``mumu`` against ``database_url``."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("MUMU_", "OPENAI_", "PREFECT_"))
    }
    environment.update(
        MUMU_HOME=str(tmp_path / "home"),
        MUMU_DATABASE_URL=database_url,
        PREFECT_HOME=str(prefect_home),
        MUMU_LOCAL_API_IDLE_S=LOCAL_API_IDLE_S,
        COLUMNS="200",
    )
    return environment


@pytest.fixture(scope="session")
def prefect_api_url(prefect_api: None) -> str:
    """The test session's Prefect server, which ``mumu`` subprocesses can share."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "prefect_test_harness sets the API it started"
    return str(url)


@pytest.fixture
def cli_env(
    database_url: str, prefect_home: Path, tmp_path: Path, prefect_api_url: str
) -> dict[str, str]:
    """``mumu`` on the session's Prefect server: each run spares the seconds of starting
    its own. Tests of the temporary server itself take ``own_server_env``."""
    return user_environment(database_url, prefect_home, tmp_path) | {
        "PREFECT_API_URL": prefect_api_url
    }


@pytest.fixture
def own_server_env(database_url: str, prefect_home: Path, tmp_path: Path) -> dict[str, str]:
    """``mumu`` as a user starts it: with a temporary Prefect API of its own, under
    ``prefect_home``."""
    return user_environment(database_url, prefect_home, tmp_path)


def run_mumu(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mumu", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], FakeLLM]]:
    """Start a fake OpenAI-compatible server and point mumu's settings at it."""
    servers: list[FakeLLM] = []

    def start(behaviour: str) -> FakeLLM:
        server = FakeLLM(behaviour).__enter__()
        servers.append(server)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("MUMU_LLM_MODEL", "fake-model")
        get_settings.cache_clear()
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)
    get_settings.cache_clear()


@pytest.fixture
def bad_inputs(tmp_path: Path) -> dict[str, Path]:
    """Files a user might drop in by mistake, each behind an audio extension."""
    folder = tmp_path / "bad"
    folder.mkdir()
    jfk = (DATA_DIR / "jfk.flac").read_bytes()
    wav = (DATA_DIR / "stereo_diarization.wav").read_bytes()
    files = {
        "empty": folder / "empty.wav",
        "not_audio": folder / "notes.mp3",
        "truncated_flac": folder / "cut.flac",
        "truncated_wav": folder / "cut.wav",
    }
    files["empty"].write_bytes(b"")
    files["not_audio"].write_bytes(b"These are my meeting notes, not a recording.\n" * 50)
    files["truncated_flac"].write_bytes(jfk[: len(jfk) // 4])
    files["truncated_wav"].write_bytes(wav[: len(wav) // 3])
    return files


@pytest.fixture(scope="session")
def audio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The recordings of ../shared/data, and a fake one, over HTTP on loopback."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    served = tmp_path_factory.mktemp("served")
    for path in DATA_DIR.iterdir():
        (served / path.name).symlink_to(path)
    (served / "disguised.mp3").write_bytes(b"<html>not a recording</html>" * 10)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two minutes of real speech (the licence text, twice), as one WAV: long enough for
    the kill tests to catch its transcription running (they poll every second at most),
    short enough that the run taking it over is quick."""
    import numpy as np

    from mumu.transcription.audio import decode, write_wav

    speech = decode(DATA_DIR / "multilingual.mp3", 3600).samples
    folder = tmp_path_factory.mktemp("long")
    return write_wav(folder / "long.wav", np.concatenate([speech] * 2))


@pytest.fixture
def stored(engine: Engine) -> Engine:
    """A recording with named speakers, a transcript, notes citing it and its stages."""
    with Session(engine) as session:
        recording = Recording(
            source="/in/100%_call.wav",
            sha256="ab" * 32,
            status="completed",
            duration_s=9.5,
            language="de",
            speakers={"channel 1": "Agent"},
        )
        session.add(recording)
        session.flush()
        rid = recording.id or 0
        session.add(
            Transcript(
                recording_id=rid, text="Hallo. Refund?", language="de", model="m", settings_key="k"
            )
        )
        for index, (said, language) in enumerate([("Hallo.", "de"), ("Refund please?", "en")]):
            session.add(
                Segment(
                    recording_id=rid,
                    idx=index,
                    start=index * 4.0,
                    end=index * 4.0 + 3.5,
                    text=said,
                    avg_logprob=-0.2,
                    no_speech_prob=0.01,
                    words=[{"word": said, "start": index * 4.0, "end": index * 4.0 + 1}],
                    language=language,
                    channel=1,
                )
            )
        session.add(
            Insight(
                recording_id=rid,
                title="Refund",
                summary="A refund.",
                summary_claims=[{"text": "A refund.", "evidence": [2]}],
                action_items=[{"task": "Pay", "owner": "Agent", "due": None, "evidence": [2]}],
                chapters=[{"start": 0.0, "title": "Hello", "evidence": [1]}],
                dropped=[{"kind": "chapter", "text": "x", "reason": "cites nothing"}],
                model="m",
                prompt_version="1",
                prompt_tokens=10,
                completion_tokens=5,
            )
        )
        session.add(
            StageRun(recording_id=rid, stage="transcribe", status="completed", duration_s=1.5)
        )
        session.add(StageRun(recording_id=rid, stage="ingest", status="completed", attempts=1))
        session.commit()
    return engine
