"""Recognisable fake secrets go in; none of them comes out anywhere mumu writes."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.engine import make_url

from tests.conftest import DATA_DIR, run_mumu
from tests.fake_llm import DOWN, GOOD, FakeLLM
from tests.fake_sentry import FakeSentry

pytestmark = pytest.mark.e2e

API_KEY = "sk-LEAKCHECK-api-7f3a91"
DB_PASSWORD = "pw-LEAKCHECK-db-52be0c"
SENTRY_KEY = "LEAKCHECKsentry0d4e8"
URL_PASSWORD = "pw-LEAKCHECK-url-61c2aa"
URL_TOKEN = "tok-LEAKCHECK-url-9e0f17"
SECRETS = (API_KEY, DB_PASSWORD, SENTRY_KEY, URL_PASSWORD, URL_TOKEN)


@pytest.fixture
def sentry() -> Iterator[FakeSentry]:
    with FakeSentry() as server:
        yield server


def everything_stored(engine: Engine) -> str:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(row)
            for table in metadata.sorted_tables
            for row in connection.execute(select(table))
        )


def prefect_database(prefect_home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in prefect_home.glob("prefect.db*"))


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_no_secret_leaks_into_output_databases_artifacts_or_error_reports(
    own_server_env: dict[str, str],
    database_url: str,
    engine: Engine,
    fake_llm: Callable[[str], FakeLLM],
    sentry: FakeSentry,
    prefect_home: Path,
    tmp_path: Path,
    audio_server: str,
) -> None:
    url = make_url(database_url).set(password=DB_PASSWORD)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA_DIR / "jfk.flac", inbox / "jfk.flac")
    (inbox / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    env = own_server_env | {
        "MUMU_DATABASE_URL": url.render_as_string(hide_password=False),
        "OPENAI_API_KEY": API_KEY,
        "SENTRY_DSN": sentry.dsn.replace("fakepublickey", SENTRY_KEY),
        "MUMU_LLM_MAX_RETRIES": "1",
        "MUMU_ALLOW_PRIVATE_URLS": "true",
    }
    with_credentials = audio_server.replace("://", f"://ann:{URL_PASSWORD}@")
    urls = [
        f"{with_credentials}/hotwords.mp3?token={URL_TOKEN}",
        f"{with_credentials}/missing.mp3?token={URL_TOKEN}",
    ]

    down = fake_llm(DOWN)
    failing = run_mumu("run", str(inbox), *urls, env=env | {"OPENAI_BASE_URL": down.base_url})
    assert failing.returncode == 1
    stored_after_failures = everything_stored(engine)
    assert "insights: LLM endpoint error 503" in stored_after_failures
    assert "audio: not an audio file" in stored_after_failures
    assert "ann:***@" in stored_after_failures and "token=***" in stored_after_failures
    assert "download refused: HTTP 404" in stored_after_failures
    good = fake_llm(GOOD)
    passing = run_mumu("run", str(inbox / "jfk.flac"), env=env | {"OPENAI_BASE_URL": good.base_url})
    assert passing.returncode == 0, passing.stderr
    unreachable = run_mumu(
        "list",
        env=env | {"MUMU_DATABASE_URL": f"postgresql+psycopg://u:{DB_PASSWORD}@127.0.0.1:1/x"},
    )
    assert unreachable.returncode == 2

    assert sentry.events(), "the failures should have reached the Sentry stand-in"
    places = {
        "terminal output": "".join(r.stdout + r.stderr for r in (failing, passing, unreachable)),
        "mumu's database": stored_after_failures + everything_stored(engine),
        "Prefect's database (logs, artifacts, runs)": prefect_database(prefect_home).decode(
            "utf-8", "replace"
        ),
        "what Sentry received": b"".join(sentry.raw).decode("utf-8", "replace"),
    }
    for place, text in places.items():
        for secret in SECRETS:
            if place == "what Sentry received" and secret == SENTRY_KEY:
                continue  # the DSN's key is how Sentry authenticates the sender
            assert secret not in text, f"{secret} leaked into {place}"
