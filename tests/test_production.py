"""Production on this machine: a real Prefect server, blocks, deployments.yaml, a worker.

Everything runs in separate processes, as it does deployed: `prefect server start` on a
free loopback port, `prefect block register`, `prefect deploy` from deployments.yaml onto
a local `process` pool, `prefect worker start`. Runs are started with `run_deployment`
and through the REST API; the rows they store and the sidecar's metrics are checked.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from base64 import b64encode
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from mumu.db.models import Insight, Recording, StageRun
from mumu.settings import Settings
from mumu.sidecar.app import create_app
from tests.conftest import DATA_DIR, REPO
from tests.fake_llm import GOOD, FakeLLM
from tests.sidecar.test_app import metric

pytestmark = pytest.mark.e2e

PREFECT = str(Path(sys.executable).with_name("prefect"))
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        env=env,
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real Prefect server; yields the environment that points at it."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MUMU_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    server = start(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        home / "server.log",
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        stop(server)
        pytest.fail("prefect server did not start:\n" + (home / "server.log").read_text())
    yield env
    stop(server)


def deploy(
    env: dict[str, str], pool: str, database_url: str, llm_url: str | None, inbox: Path
) -> None:
    """Pool, LLM limit, blocks and every deployment of deployments.yaml, as an operator would."""
    run([PREFECT, "work-pool", "create", pool, "--type", "process", "--overwrite"], env)
    run([PREFECT, "block", "register", "-m", "mumu.blocks"], env)
    run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from mumu.blocks import LLMEndpoint, MumuDatabase, WhisperEngine\n"
            "WhisperEngine(device='cpu', beam_size=5).save('e2e-whisper', overwrite=True)\n"
            "if sys.argv[1]:\n"
            "    LLMEndpoint(base_url=sys.argv[1], api_key='sk-e2e-secret', model='fake')"
            ".save('e2e-llm', overwrite=True)\n"
            "MumuDatabase(url=sys.argv[2]).save('e2e-db', overwrite=True)\n",
            llm_url or "",
            database_url,
        ],
        env,
    )
    deploy_env = env | {
        "MUMU_GPU_POOL": pool,
        "MUMU_CPU_POOL": pool,
        "MUMU_WORKDIR": str(REPO),
        "MUMU_INBOX": str(inbox),
        "MUMU_INBOX_CRON": "0 0 1 1 *",
        "MUMU_WHISPER_BLOCK": "e2e-whisper",
        "MUMU_LLM_BLOCK": "e2e-llm" if llm_url else "",
        "MUMU_DATABASE_BLOCK": "e2e-db",
    }
    run(
        [
            "bash",
            "-c",
            f". infra/deploy-env.sh && {PREFECT} --no-prompt deploy --all "
            "--prefect-file deployments.yaml",
        ],
        deploy_env,
    )


def api(env: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
    """Prefect's REST API, retried as Prefect's own client retries a busy server (503, 429),
    with the server's auth string as Prefect's client sends it."""
    auth = env.get("PREFECT_API_AUTH_STRING")
    headers = {"Authorization": f"Basic {b64encode(auth.encode()).decode()}"} if auth else {}
    for delay in (0.5, 1, 2, 4, 8, 0):
        response = httpx.request(
            method, f"{env['PREFECT_API_URL']}{path}", headers=headers, timeout=30, **kwargs
        )
        if response.status_code not in (429, 503) or not delay:
            break
        time.sleep(delay)
    response.raise_for_status()
    return response.json() if response.content else None


def wait_for(
    check: Callable[[], bool], seconds: float, what: str, diagnose: Callable[[], str] = str
) -> None:
    """Poll ``check`` each second; on time-out, fail with ``diagnose()`` (logs, say)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}\n{diagnose()}")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_deployed_runs_from_run_deployment_rest_and_the_inbox(
    prefect_server: dict[str, str],
    database_url: str,
    settings: Settings,
    engine: Engine,
    fake_llm: Callable[[str], FakeLLM],
    tmp_path: Path,
) -> None:
    env = dict(prefect_server)
    llm = fake_llm(GOOD)
    run([PREFECT, "global-concurrency-limit", "create", "mumu-llm-e2e", "--limit", "2"], env)

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    deploy(env, "e2e", database_url, llm.base_url, inbox)
    deployments = {
        d["name"]: d for d in api(env, "POST", "/deployments/filter", json={"limit": 20})
    }
    assert set(deployments) == {
        "process-recording",
        "process-batch",
        "inbox",
        "ask",
        "erase",
        "retention",
        "evaluate",
    }
    assert deployments["process-recording"]["work_pool_name"] == "e2e"
    assert deployments["process-recording"]["parameters"]["llm_block"] == "e2e-llm"
    assert deployments["inbox"]["schedules"][0]["schedule"]["cron"] == "0 0 1 1 *"
    assert deployments["inbox"]["parameters"]["locations"] == [str(inbox)]

    worker_env = env | {
        "MUMU_HOME": str(tmp_path / "worker-home"),
        "MUMU_LLM_CONCURRENCY_LIMIT": "mumu-llm-e2e",
    }
    worker = start(
        [PREFECT, "worker", "start", "--pool", "e2e", "--type", "process"],
        worker_env,
        tmp_path / "worker.log",
    )
    try:
        by_run_deployment = run(
            [
                sys.executable,
                "-c",
                "import sys\n"
                "from prefect.deployments import run_deployment\n"
                "run = run_deployment('process-recording/process-recording',"
                " parameters={'source': sys.argv[1]}, timeout=0)\n"
                "print(run.id)\n",
                str(DATA_DIR / "jfk.flac"),
            ],
            env,
        ).strip()
        deployment_id = api(env, "GET", "/deployments/name/process-recording/process-recording")[
            "id"
        ]
        by_rest = api(
            env,
            "POST",
            f"/deployments/{deployment_id}/create_flow_run",
            json={"parameters": {"source": str(DATA_DIR / "hotwords.mp3")}},
        )["id"]

        def state(flow_run_id: str) -> str:
            return str(api(env, "GET", f"/flow_runs/{flow_run_id}")["state"]["type"])

        wait_for(lambda: {state(by_run_deployment), state(by_rest)} <= FINAL, 240, "the two runs")
        assert state(by_run_deployment) == "COMPLETED", (tmp_path / "worker.log").read_text()
        assert state(by_rest) == "COMPLETED", (tmp_path / "worker.log").read_text()

        shutil.copy(DATA_DIR / "jfk.flac", inbox / "jfk-again.flac")
        shutil.copy(DATA_DIR / "stereo_diarization.wav", inbox / "stereo.wav")
        inbox_id = api(env, "GET", "/deployments/name/inbox/inbox")["id"]
        inbox_run = api(env, "POST", f"/deployments/{inbox_id}/create_flow_run", json={})["id"]
        wait_for(lambda: state(inbox_run) in FINAL, 180, "the inbox run")
        assert state(inbox_run) == "COMPLETED", (tmp_path / "worker.log").read_text()

        def stored_rows() -> list[dict[str, Any]]:
            with Session(engine) as session:
                return [r.model_dump() for r in session.exec(select(Recording))]

        def stored_sources() -> dict[str, str]:
            with Session(engine) as session:
                return {Path(r.source).name: r.status for r in session.exec(select(Recording))}

        wait_for(lambda: stored_sources().get("stereo.wav") == "completed", 180, "the inbox's run")

        def completed_by_rest(deployment: str, parameters: dict[str, Any]) -> str:
            """A run of the deployment started through the REST API, once it completed."""
            deployment_id = api(env, "GET", f"/deployments/name/{deployment}/{deployment}")["id"]
            run_id = str(
                api(
                    env,
                    "POST",
                    f"/deployments/{deployment_id}/create_flow_run",
                    json={"parameters": parameters},
                )["id"]
            )
            wait_for(lambda: state(run_id) in FINAL, 180, f"the {deployment} run")
            assert state(run_id) == "COMPLETED", (tmp_path / "worker.log").read_text()
            return run_id

        question = "Who vanished behind the curtain, the wizard?"
        question_run = completed_by_rest("ask", {"question": question})
        artifacts = api(
            env,
            "POST",
            "/artifacts/filter",
            json={"artifacts": {"flow_run_id": {"any_": [question_run]}}},
        )
        answer = artifacts[0]["data"]
        assert answer.startswith("# Who vanished behind the curtain, the wizard?")
        assert "## Sources" in answer and "stereo.wav @ 00:0" in answer

        [stereo_id] = [r["id"] for r in stored_rows() if r["source"].endswith("stereo.wav")]
        completed_by_rest("erase", {"source": "*stereo*"})
        left = api(
            env,
            "POST",
            "/artifacts/filter",
            json={"artifacts": {"key": {"any_": [f"mumu-recording-{stereo_id}", "mumu-answer"]}}},
        )
        assert left == [], "its notes and the answer citing it are erased with it"
    finally:
        stop(worker)

    assert stored_sources() == {"jfk.flac": "completed", "hotwords.mp3": "completed"}
    recording_runs = api(
        env,
        "POST",
        "/flow_runs/filter",
        json={"deployments": {"id": {"any_": [deployment_id]}}, "limit": 50},
    )
    assert len(recording_runs) == 2, "the erased recording's run went with it"
    with Session(engine) as session:
        insights = session.exec(select(Insight)).all()
    assert len(insights) == 2 and all(i.prompt_tokens > 0 for i in insights)
    assert llm.requests and all(r["model"] == "fake" for r in llm.requests)

    metrics = TestClient(create_app(settings, env["PREFECT_API_URL"])).get("/metrics").text
    assert metric(metrics, "mumu_recordings", status="completed") == 2, "the erased is not"
    assert metric(metrics, "mumu_flow_runs", flow="erase", state="COMPLETED") == 1
    assert metric(metrics, "mumu_llm_tokens_total", kind="prompt") > 0
    ready = TestClient(create_app(settings, env["PREFECT_API_URL"])).get("/ready").json()
    assert ready["checks"]["prefect_api"]["ok"]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_flow_run_killed_under_the_worker_is_taken_over_by_the_next_run(
    prefect_server: dict[str, str],
    database_url: str,
    engine: Engine,
    tmp_path: Path,
    long_recording: Path,
) -> None:
    env = dict(prefect_server)
    deploy(env, "kill-test", database_url, None, tmp_path)
    worker = start(
        [PREFECT, "worker", "start", "--pool", "kill-test", "--type", "process"],
        env | {"MUMU_HOME": str(tmp_path / "worker-home")},
        tmp_path / "worker.log",
    )
    deployment_id = api(env, "GET", "/deployments/name/process-recording/process-recording")["id"]

    def start_run() -> str:
        return str(
            api(
                env,
                "POST",
                f"/deployments/{deployment_id}/create_flow_run",
                json={"parameters": {"source": str(long_recording)}},
            )["id"]
        )

    def recording() -> Recording | None:
        with Session(engine) as session:
            return session.exec(select(Recording)).first()

    def transcribing() -> bool:
        with Session(engine) as session:
            run = session.exec(select(StageRun).where(StageRun.stage == "transcribe")).first()
            return run is not None and run.status == "running"

    try:
        start_run()
        wait_for(transcribing, 180, "the first run to start transcribing")
        claimed = recording()
        assert claimed is not None and claimed.claimed_by is not None
        os.kill(int(claimed.claimed_by.split(":")[1]), signal.SIGKILL)

        second = start_run()
        wait_for(
            lambda: api(env, "GET", f"/flow_runs/{second}")["state"]["type"] in FINAL,
            240,
            "the second run",
        )
        state = api(env, "GET", f"/flow_runs/{second}")["state"]["type"]
        assert state == "COMPLETED", (tmp_path / "worker.log").read_text()
    finally:
        stop(worker)

    with Session(engine) as session:
        recordings = session.exec(select(Recording)).all()
        transcribe = session.exec(select(StageRun).where(StageRun.stage == "transcribe")).one()
    assert len(recordings) == 1
    assert (recordings[0].status, recordings[0].claimed_by) == ("completed", None)
    assert (transcribe.status, transcribe.attempts) == ("completed", 2)
