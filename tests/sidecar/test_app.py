"""The sidecar over HTTP: health, readiness with named failures, metrics across processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import Engine, inspect
from starlette.testclient import TestClient

from mumu.access import signed_path
from mumu.db.engine import get_engine
from mumu.settings import Settings
from mumu.sidecar.app import create_app
from tests.conftest import DATA_DIR, run_mumu


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_health_says_who_and_how_long(settings: Settings) -> None:
    client = TestClient(create_app(settings, None))
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    assert body["uptime_s"] >= 0
    assert body["hostname"]
    assert body["memory"]["rss_bytes"] > 0


@pytest.mark.usefixtures("engine")
def test_ready_when_everything_answers(settings: Settings) -> None:
    response = TestClient(create_app(settings, None)).get("/ready")
    assert response.status_code == 200
    assert response.json()["failing"] == []


def test_not_ready_names_every_failing_check(settings: Settings, tmp_path: Path) -> None:
    broken = settings.model_copy(
        update={
            "database_url": SecretStr(
                "postgresql+psycopg://mumu:pw-s3cret@127.0.0.1:1/mumu?connect_timeout=2"
            ),
            "whisper_device": "cuda",
            "whisper_model": str(tmp_path / "no-model-here"),
        }
    )
    (tmp_path / "no-model-here").mkdir()
    response = TestClient(create_app(broken, "http://127.0.0.1:1/api")).get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert sorted(body["failing"]) == ["database", "gpu", "prefect_api", "whisper_model"]
    assert "pw-s3cret" not in response.text
    assert "no model.bin" in body["checks"]["whisper_model"]["detail"]


@pytest.mark.e2e
@pytest.mark.both_databases
@pytest.mark.usefixtures("engine")
def test_metrics_count_work_done_by_another_process(
    settings: Settings, cli_env: dict[str, str]
) -> None:
    client = TestClient(create_app(settings, None))
    before = client.get("/metrics").text
    assert metric(before, "mumu_database_up") == 1
    assert metric(before, "process_resident_memory_bytes") > 0
    assert metric(before, "mumu_recordings", status="completed") == 0

    result = run_mumu("run", str(DATA_DIR / "jfk.flac"), env=cli_env)
    assert result.returncode == 0, result.stderr

    after = client.get("/metrics").text
    assert metric(after, "mumu_recordings", status="completed") == 1
    assert metric(after, "mumu_audio_seconds_total") == pytest.approx(11.0, abs=0.2)
    assert metric(after, "mumu_stage_duration_seconds_count", stage="transcribe") == 1
    assert metric(after, "mumu_stage_duration_seconds_sum", stage="transcribe") > 0
    assert (
        metric(
            after,
            "mumu_pipeline_duration_seconds_count",
            flow="process-recording",
            status="completed",
        )
        == 1
    )
    assert (
        metric(
            after, "mumu_pipeline_duration_seconds_count", flow="process-batch", status="completed"
        )
        == 1
    )
    assert metric(after, "mumu_llm_tokens_total", kind="prompt") == 0


def test_a_schema_behind_the_code_is_reported_and_never_migrated(settings: Settings) -> None:
    """A new sidecar must not move a production schema ahead of workers on old code."""
    client = TestClient(create_app(settings, None))
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"]["detail"].endswith(
        "has no mumu schema yet: run `mumu db upgrade`"
    )
    assert metric(client.get("/metrics").text, "mumu_database_up") == 0
    with get_engine(settings.database.url_value).connect() as connection:
        assert inspect(connection).get_table_names() == []


def test_a_malformed_database_url_is_a_named_failing_check(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": SecretStr("postgresql+psycopg://mumu:pw-s3cret@db:nope/mumu")}
    )
    response = TestClient(create_app(broken, None)).get("/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert "not valid" in response.text and "s3cret" not in response.text


def test_ready_shows_the_prefect_api_without_its_credentials(settings: Settings) -> None:
    api = "http://mumu:api-s3cret@127.0.0.1:1/api"
    body = TestClient(create_app(settings, api)).get("/ready").text
    assert "mumu:***@127.0.0.1:1/api" in body and "s3cret" not in body


def test_metrics_answer_with_the_database_down(settings: Settings) -> None:
    down = settings.model_copy(
        update={
            "database_url": SecretStr(
                "postgresql+psycopg://mumu@127.0.0.1:1/mumu?connect_timeout=2"
            )
        }
    )
    response = TestClient(create_app(down, None)).get("/metrics")
    assert response.status_code == 200
    assert metric(response.text, "mumu_database_up") == 0


TOKEN = "sidecar-test-token"
KEY = SecretStr("sidecar-test-link-key")


def test_no_recording_page_without_a_credential_and_none_tells_which_exist(
    stored: Engine, settings: Settings
) -> None:
    """With nothing configured nobody gets in; a refusal is the same for a recording that
    is there and one that is not, and comes before the database is asked."""
    nobody = TestClient(create_app(settings, None))
    for path in (
        "/recordings/1/notes.md",
        "/recordings/99/notes.md",
        "/recordings/1/transcript.srt",
    ):
        refused = nobody.get(path)
        assert (refused.status_code, refused.text) == (401, "a token or a signed link is needed\n")
        assert refused.headers["www-authenticate"].startswith("Bearer")
    assert nobody.get("/health").status_code == 200
    assert nobody.get("/metrics").status_code == 200, "a scrape on the private network"
    guarded = TestClient(
        create_app(settings.model_copy(update={"access_tokens": SecretStr(TOKEN)}), None)
    )
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/recordings/1/notes.md", headers=bearer).status_code == 200
    assert guarded.get("/recordings/99/notes.md", headers=bearer).status_code == 404
    wrong = {"Authorization": "Bearer not-the-token"}
    assert [
        guarded.get(f"/recordings/{n}/notes.md", headers=wrong).status_code for n in (1, 99)
    ] == [401, 401]


def test_a_signed_link_opens_its_page_only_until_it_expires(
    stored: Engine, settings: Settings
) -> None:
    linked = settings.model_copy(update={"link_key": KEY, "link_ttl_s": 60.0})
    client = TestClient(create_app(linked, None))
    signed = signed_path(linked.access, "/recordings/1/notes.md") or ""
    opened = client.get(signed)
    assert opened.status_code == 200 and "Pay" in opened.text
    moved = signed.replace("/recordings/1/", "/recordings/99/")
    expired = signed_path(linked.access, "/recordings/1/notes.md", now=time.time() - 61) or ""
    for refused in (moved, expired, signed.replace("signature=", "signature=0")):
        answer = client.get(refused)
        assert (answer.status_code, answer.text) == (
            403,
            "the link's signature does not hold or it has expired\n",
        )


@pytest.mark.e2e
def test_transcripts_are_served_for_the_links_in_run_artifacts(
    settings: Settings, cli_env: dict[str, str]
) -> None:
    result = run_mumu("run", str(DATA_DIR / "jfk.flac"), env=cli_env)
    assert result.returncode == 0, result.stderr
    guarded = settings.model_copy(update={"access_tokens": SecretStr(TOKEN)})
    client = TestClient(create_app(guarded, None), headers={"Authorization": f"Bearer {TOKEN}"})
    srt = client.get("/recordings/1/transcript.srt")
    assert srt.status_code == 200 and srt.headers["content-type"].startswith("application/x-sub")
    assert srt.text.startswith("1\n00:00:00,") and "country" in srt.text
    assert "fellow Americans" in client.get("/recordings/1/transcript.txt").text
    assert client.get("/recordings/1/transcript.exe").status_code == 404
    assert client.get("/recordings/99/transcript.txt").status_code == 404
    notes = client.get("/recordings/1/notes.md")
    assert notes.status_code == 200 and notes.headers["content-type"].startswith("text/markdown")
    assert "_No notes: no LLM endpoint configured" in notes.text
    assert '<a id="s-1"></a>**00:00** And so' in notes.text
    assert client.get("/recordings/1/txt.md").status_code == 404


@pytest.mark.both_databases
def test_a_page_past_any_id_is_not_found(stored: Engine, settings: Settings) -> None:
    guarded = settings.model_copy(update={"access_tokens": SecretStr(TOKEN)})
    client = TestClient(create_app(guarded, None), headers={"Authorization": f"Bearer {TOKEN}"})
    for beyond in (2**63, 2**64 + 1, 10**30):
        for page in (f"/recordings/{beyond}", f"/recordings/{beyond}/transcript.srt"):
            assert client.get(page).status_code == 404, page


def test_a_page_while_the_database_is_down_is_503_at_once_in_one_log_line(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    down = settings.model_copy(
        update={
            "database_url": SecretStr("postgresql+psycopg://mumu:pw-down@127.0.0.1:1/mumu"),
            "access_tokens": SecretStr(TOKEN),
        }
    )
    client = TestClient(create_app(down, None), headers={"Authorization": f"Bearer {TOKEN}"})
    started = time.monotonic()
    for page in ("/recordings/1", "/recordings/1/notes.md"):
        answer = client.get(page)
        assert (answer.status_code, answer.text) == (503, "the database is unavailable\n")
    assert time.monotonic() - started < 5, "not after the retries a flow would wait"
    said = [r for r in caplog.records if r.name == "mumu.sidecar"]
    assert said and all(r.exc_info is None for r in said)
    assert all("pw-down" not in r.getMessage() for r in said)


def test_a_token_cannot_mint_links_and_odd_queries_and_paths_are_refused_not_crashed(
    stored: Engine, settings: Settings
) -> None:
    guarded = settings.model_copy(update={"access_tokens": SecretStr(TOKEN), "link_key": KEY})
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    client = TestClient(create_app(guarded, None))
    page = client.get("/recordings/1?expires=99999999999", headers=bearer)
    assert page.status_code == 200 and "expires=" not in page.text, "no link signed by a token"
    for odd in ("abc", "1.5", "9" * 5000, "+1", "1_0"):
        assert client.get(f"/recordings/1?expires={odd}", headers=bearer).status_code == 200
        assert client.get(f"/recordings/1?expires={odd}&signature=00").status_code == 403
    signed = signed_path(guarded.access, "/recordings/1") or ""
    assert client.get(signed).status_code == 200
    assert client.get(signed + "&expires=99999999999").status_code == 403, "one expiry only"
    huge = "9" * 5000
    assert client.get(f"/recordings/{huge}").status_code == 401, "judged before anything"
    assert client.get(f"/recordings/{huge}/notes.md", headers=bearer).status_code == 404
    assert client.get("/recordings/01", headers=bearer).status_code == 404
    export = client.get("/recordings/1/transcript.txt", headers=bearer)
    assert export.headers["cache-control"] == "private, no-store"
    assert export.headers["x-content-type-options"] == "nosniff"


def test_a_database_that_accepts_and_never_answers_is_503_not_a_hang(
    settings: Settings,
) -> None:
    import socket
    import threading

    silent = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except TimeoutError:
                continue
            except OSError:  # closed by the test
                return

    threading.Thread(target=accept, daemon=True).start()
    port = silent.getsockname()[1]
    url = f"postgresql+psycopg://mumu@127.0.0.1:{port}/mumu?connect_timeout=1"
    down = settings.model_copy(
        update={"database_url": SecretStr(url), "access_tokens": SecretStr(TOKEN)}
    )
    client = TestClient(create_app(down, None), headers={"Authorization": f"Bearer {TOKEN}"})
    started = time.monotonic()
    try:
        assert client.get("/recordings/1").status_code == 503
    finally:
        stop.set()
        silent.close()
        for connection in held:
            connection.close()
    assert time.monotonic() - started < 8
