"""The Docker work pool path end to end, as an operator runs it from infra/README.md.

The images are built from infra/Dockerfile.cpu and infra/Dockerfile.gpu on a base image
made without a registry (infra/base-image.sh). The Prefect server (on Postgres),
infra/setup.sh, the Docker workers and the sidecar each run in a container of the CPU
image; the workers start every flow run in a container of its own. Containers use host
networking: tests here may only talk to loopback. Without a Docker daemon these tests
are skipped, unless MUMU_REQUIRE_DOCKER=1 (as in .ci/run), when they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from mumu.db.engine import get_engine
from mumu.db.models import Recording, StageRun
from mumu.transcription.audio import decode, write_wav
from tests.conftest import (
    DATA_DIR,
    POSTGRES_ADMIN_URL,
    REPO,
    create_database,
    drop_database,
    run_mumu,
)
from tests.fake_llm import GOOD, FakeLLM
from tests.receiver import Received, Receiver
from tests.sidecar.test_app import metric
from tests.test_production import api, free_port, wait_for

pytestmark = pytest.mark.e2e

BASE_IMAGE = "mumu-base:bookworm"
CPU_IMAGE = "mumu-cpu:e2e"
GPU_IMAGE = "mumu-gpu:e2e"
POOL = "mumu-e2e"
LABEL = "mumu-e2e"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
PREFECT = str(Path(sys.executable).with_name("prefect"))


def docker(*args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"docker {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def docker_available() -> bool:
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def remove_leftovers() -> None:
    """Containers of this test (by label) and of the flow runs of its pool."""
    for label in (LABEL, f"io.prefect.work-pool-name={POOL}"):
        found = docker("ps", "-aq", "--filter", f"label={label}").split()
        if found:
            docker("rm", "-f", *found)


@pytest.fixture(scope="module")
def images() -> None:
    if not docker_available():
        if os.environ.get("MUMU_REQUIRE_DOCKER") == "1":
            pytest.fail("MUMU_REQUIRE_DOCKER=1 but no Docker daemon answers")
        pytest.skip("no Docker daemon (MUMU_REQUIRE_DOCKER=1 makes this a failure)")
    subprocess.run(["bash", "infra/base-image.sh", BASE_IMAGE], cwd=REPO, check=True)
    for dockerfile, tag in (("Dockerfile.cpu", CPU_IMAGE), ("Dockerfile.gpu", GPU_IMAGE)):
        subprocess.run(
            ["docker", "build", "--quiet", "--network", "host"]
            + ["--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "-f", f"infra/{dockerfile}"]
            + ["-t", tag, "."],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    remove_leftovers()


def test_both_images_import_mumu_as_a_non_root_user(images: None) -> None:
    check = (
        "import os, mumu, mumu.blocks, mumu.flows.process_recording, ctranslate2; "
        "print(os.getuid(), os.getcwd(), mumu.__file__, sorted(os.listdir('.')))"
    )
    for image in (CPU_IMAGE, GPU_IMAGE):
        uid, cwd, module, listing = docker("run", "--rm", image, "python", "-c", check).split(
            " ", 3
        )
        assert (uid, cwd) == ("10001", "/opt/mumu"), image
        assert module.startswith("/opt/venv/lib/"), image
        assert "mumu" not in listing, f"{image}: a source folder would shadow the package"


NOTICE_SECRET = "e2e-notice-secret"
LINK_KEY = "e2e-link-key-0123456789"
SIDECAR_TOKEN = "e2e-sidecar-token"
PREFECT_AUTH = "mumu:e2e-prefect-auth"
READER_ROLE = "mumu_e2e_reader"


@dataclass
class Stack:
    api_url: str
    database_url: str
    engine: Engine
    inbox: Path
    sidecar_url: str
    llm: FakeLLM
    receiver: Receiver
    workers: list[str]

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        env = {"PREFECT_API_URL": self.api_url, "PREFECT_API_AUTH_STRING": PREFECT_AUTH}
        return api(env, method, path, **kwargs)

    def deployment_id(self, name: str) -> str:
        return str(self.api("GET", f"/deployments/name/{name}")["id"])

    def start(self, deployment: str, **body: Any) -> str:
        path = f"/deployments/{self.deployment_id(deployment)}/create_flow_run"
        return str(self.api("POST", path, json=body)["id"])

    def flow_run(self, flow_run_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api("GET", f"/flow_runs/{flow_run_id}")
        return result

    def state(self, flow_run_id: str) -> str:
        return str(self.flow_run(flow_run_id)["state"]["type"])

    def logs(self) -> str:
        tails = []
        for worker in self.workers:
            result = subprocess.run(
                ["docker", "logs", "--tail", "40", worker], capture_output=True, text=True
            )
            tails.append(f"--- {worker}\n{result.stdout}{result.stderr}")
        return "\n".join(tails)

    def wait_final(self, flow_run_id: str, seconds: float = 300) -> str:
        wait_for(lambda: self.state(flow_run_id) in FINAL, seconds, flow_run_id, self.logs)
        return self.state(flow_run_id)

    def start_worker(self, name: str) -> None:
        docker(
            "run",
            "-d",
            "--name",
            name,
            "--label",
            LABEL,
            "--network",
            "host",
            "-v",
            "/var/run/docker.sock:/var/run/docker.sock",
            "--group-add",
            str(os.stat("/var/run/docker.sock").st_gid),
            "-e",
            f"PREFECT_API_URL={self.api_url}",
            "-e",
            f"PREFECT_API_AUTH_STRING={PREFECT_AUTH}",
            "-e",
            "PREFECT_WORKER_QUERY_SECONDS=2",
            CPU_IMAGE,
            "prefect",
            "worker",
            "start",
            "--pool",
            POOL,
            "--type",
            "docker",
            "--limit",
            "1",
            "--name",
            name,
        )
        self.workers.append(name)

    def recordings(self) -> dict[str, Recording]:
        with Session(self.engine) as session:
            return {Path(r.source).name: r for r in session.exec(select(Recording))}


@pytest.fixture(scope="module")
def stack(images: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    suffix = uuid.uuid4().hex[:8]
    prefect_url = create_database("e2e_prefect")
    with psycopg.connect(prefect_url.replace("+psycopg", "")) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    mumu_url = create_database("e2e_mumu")
    inbox = tmp_path_factory.mktemp("inbox")
    for folder in (inbox, inbox / "new"):
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)
    llm = FakeLLM(GOOD).__enter__()
    receiver = Receiver().__enter__()
    port, sidecar_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    sidecar_url = f"http://127.0.0.1:{sidecar_port}"
    stack = Stack(api_url, mumu_url, get_engine(mumu_url), inbox, sidecar_url, llm, receiver, [])
    common = ["--label", LABEL, "--network", "host", "-e", f"PREFECT_API_URL={api_url}"]
    common += ["-e", f"PREFECT_API_AUTH_STRING={PREFECT_AUTH}"]
    try:
        docker(
            "run",
            "-d",
            "--name",
            f"e2e-prefect-{suffix}",
            *common,
            "-e",
            "PREFECT_API_DATABASE_CONNECTION_URL=" + prefect_url.replace("+psycopg", "+asyncpg"),
            "-e",
            f"PREFECT_UI_API_URL={api_url}",
            "-e",
            f"PREFECT_SERVER_API_AUTH_STRING={PREFECT_AUTH}",
            CPU_IMAGE,
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        )

        def healthy() -> bool:
            try:
                return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(
            healthy, 180, "the Prefect server", lambda: docker("logs", f"e2e-prefect-{suffix}")
        )
        setup = {
            "MUMU_DATABASE_URL": mumu_url,
            "MUMU_GPU_POOL": POOL,
            "MUMU_CPU_POOL": POOL,
            "MUMU_CPU_IMAGE": CPU_IMAGE,
            "MUMU_GPU_IMAGE": GPU_IMAGE,
            "MUMU_GPU_COUNT": "2",
            "MUMU_MODELS_VOLUME": "mumu-models-e2e",
            "MUMU_INBOX_VOLUME": str(inbox),
            "MUMU_INBOX": "/data/inbox/new",
            "MUMU_INBOX_CRON": "* * * * *",
            "MUMU_PUBLIC_URL": sidecar_url,
            "OPENAI_BASE_URL": llm.base_url,
            "OPENAI_API_KEY": "sk-e2e-not-a-real-key",
            "MUMU_LLM_MODEL": "fake",
            "MUMU_NOTIFY_URL": receiver.url,
            "MUMU_NOTIFY_SECRET": NOTICE_SECRET,
            "MUMU_LINK_KEY": LINK_KEY,
            "MUMU_READER_ROLE": READER_ROLE,
            "MUMU_READER_PASSWORD": "e2e-reader-pw",
        }
        flags = [part for name, value in setup.items() for part in ("-e", f"{name}={value}")]
        docker("run", "--rm", *common, *flags, CPU_IMAGE, "bash", "infra/setup.sh")
        stack.api(
            "PATCH", f"/deployments/{stack.deployment_id('inbox/inbox')}", json={"paused": True}
        )
        docker(
            "run",
            "-d",
            "--name",
            f"e2e-sidecar-{suffix}",
            *common,
            "-e",
            f"MUMU_DATABASE_URL={mumu_url.replace('postgres@', f'{READER_ROLE}:e2e-reader-pw@')}",
            "-e",
            f"MUMU_LINK_KEY={LINK_KEY}",
            "-e",
            f"MUMU_ACCESS_TOKENS=old-{LINK_KEY},{SIDECAR_TOKEN}",
            CPU_IMAGE,
            "mumu",
            "sidecar",
            "--host",
            "127.0.0.1",
            "--port",
            str(sidecar_port),
        )
        stack.start_worker(f"e2e-worker-a-{suffix}")
        yield stack
    finally:
        remove_leftovers()
        llm.__exit__(None, None, None)
        receiver.__exit__(None, None, None)
        stack.engine.dispose()
        drop_database(mumu_url)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{READER_ROLE}"')
        drop_database(prefect_url)


def copy_in(stack: Stack, folder: str, *sources: Path) -> list[str]:
    """Put recordings into the inbox volume; their paths inside the flow-run containers."""
    target = stack.inbox / folder
    target.mkdir(exist_ok=True)
    target.chmod(0o755)
    for source in sources:
        shutil.copy(source, target / source.name)
    return [f"/data/inbox/{folder}/{source.name}" for source in sources]


def run_id_from(output: str) -> str:
    match = re.search(r"UUID: ([0-9a-f-]{36})", output)
    assert match, output
    return match.group(1)


def test_runs_from_rest_and_the_cli_complete_in_containers(stack: Stack) -> None:
    jfk, hotwords = copy_in(stack, "runs", DATA_DIR / "jfk.flac", DATA_DIR / "hotwords.mp3")
    by_rest = stack.start("process-recording/process-recording", parameters={"source": jfk})
    cli = subprocess.run(
        [PREFECT, "deployment", "run", "process-recording/process-recording"]
        + ["-p", f"source={hotwords}"],
        env={k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        | {"PREFECT_API_URL": stack.api_url, "PREFECT_API_AUTH_STRING": PREFECT_AUTH},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    by_cli = run_id_from(cli.stdout)
    for flow_run_id in (by_rest, by_cli):
        assert stack.wait_final(flow_run_id) == "COMPLETED", stack.logs()
        flow_run = stack.flow_run(flow_run_id)
        assert flow_run["infrastructure_pid"].startswith("http+docker://")
        assert set(flow_run["tags"]) == {"mumu", POOL}
    assert not Path("/data/inbox/runs").exists(), "the paths exist only inside the containers"
    anyone = httpx.post(f"{stack.api_url}/flow_runs/filter", json={}, timeout=10)
    assert anyone.status_code == 401, "Prefect's API refuses a request without its auth string"
    ui = httpx.get(stack.api_url.removesuffix("/api") + "/", timeout=10)
    assert ui.status_code == 200 and "<html" in ui.text.lower(), "the server's UI is served"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUMU_", "PREFECT_"))}
    env |= {"MUMU_DATABASE_URL": stack.database_url, "MUMU_HOME": str(stack.inbox.parent)}
    listed = json.loads(run_mumu("list", "--json", env=env).stdout)
    by_source = {row["source"]: row for row in listed}
    assert by_source[jfk]["status"] == by_source[hotwords]["status"] == "completed"
    shown = json.loads(run_mumu("show", str(by_source[jfk]["id"]), "--json", env=env).stdout)
    assert "fellow Americans" in shown["transcript"]["text"]
    assert shown["insights"]["title"].startswith("Notes on")

    [artifact] = stack.api(
        "POST", "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [by_rest]}}}
    )
    page = f"{stack.sidecar_url}/recordings/{by_source[jfk]['id']}/transcript.srt"
    [link] = re.findall(
        rf"\[srt\]\(({re.escape(page)}\?expires=\d+&signature=\w+)\)", artifact["data"]
    )
    assert artifact["data"].startswith("# Notes on")
    assert "fellow Americans" in httpx.get(link, timeout=10).text, "a signed link opens"
    assert httpx.get(page, timeout=10).status_code == 401, "no page without a credential"
    bearer = {"Authorization": f"Bearer {SIDECAR_TOKEN}"}
    assert "fellow Americans" in httpx.get(page, headers=bearer, timeout=10).text

    notice = notice_of(stack, by_source[jfk]["id"])
    assert notice.signed_with(NOTICE_SECRET.encode())
    assert notice.json["type"] == "recording.completed"
    assert notice.json["recording"]["title"].startswith("Notes on")
    links = notice.json["links"]
    assert links["prefect_run"].endswith(f"/runs/flow-run/{by_rest}")
    notes = httpx.get(links["notes"], timeout=10)
    assert notes.status_code == 200 and notes.headers["content-type"].startswith("text/html")
    assert "<h2>Transcript</h2>" in notes.text and "fellow Americans" in notes.text
    assert "default-src 'none'" in notes.headers["content-security-policy"]


def notice_of(stack: Stack, recording_id: int) -> Received:
    """The one notice a recording's run sent (it arrives just after the run ends)."""

    def sent() -> list[Received]:
        return [n for n in stack.receiver.received if n.json["recording"]["id"] == recording_id]

    wait_for(lambda: bool(sent()), 60, f"a notice of recording {recording_id}", stack.logs)
    [notice] = sent()
    return notice


def test_a_batch_runs_in_a_container(stack: Stack) -> None:
    [folder] = {
        Path(p).parent.as_posix()
        for p in copy_in(stack, "batch", DATA_DIR / "stereo_diarization.wav", DATA_DIR / "jfk.flac")
    }
    run = stack.start("process-batch/process-batch", parameters={"paths": [folder]})
    assert stack.wait_final(run) == "COMPLETED", stack.logs()
    recordings = stack.recordings()
    assert "stereo_diarization.wav" in recordings, stack.logs()
    assert recordings["stereo_diarization.wav"].status == "completed"
    assert recordings["jfk.flac"].source.startswith("/data/inbox/runs/"), "stored once"


def test_a_bad_recording_fails_its_run_with_the_reason(stack: Stack) -> None:
    run = stack.start(
        "process-recording/process-recording",
        parameters={"source": "/data/inbox/runs/not-there.wav"},
    )
    assert stack.wait_final(run) == "FAILED"
    assert stack.flow_run(run)["state"]["message"] == "ingest: file not found"
    [failed] = [r for r in stack.recordings().values() if r.source.endswith("not-there.wav")]
    notice = notice_of(stack, failed.id or 0)
    assert notice.json["recording"]["error"] == "ingest: file not found"
    assert notice.signed_with(NOTICE_SECRET.encode())

    def logs() -> str:
        found = stack.api("POST", "/logs/filter", json={"logs": {"flow_run_id": {"any_": [run]}}})
        return "\n".join(log["message"] for log in found)

    wait_for(lambda: "RecordingFailed" in logs(), 60, "the run's last log lines", logs)
    assert "RecordingFailed: ingest: file not found" in logs()
    assert "cannot be resolved into an exception" not in logs()


def test_the_scheduled_inbox_starts_a_run_for_a_new_file(stack: Stack) -> None:
    [new] = copy_in(stack, "new", DATA_DIR / "multilingual.mp3")
    inbox = stack.deployment_id("inbox/inbox")
    stack.api("PATCH", f"/deployments/{inbox}", json={"paused": False})
    try:
        wait_for(
            lambda: (
                stack.recordings().get("multilingual.mp3") is not None
                and stack.recordings()["multilingual.mp3"].status == "completed"
            ),
            240,
            "the scheduled inbox run and the run it starts",
            stack.logs,
        )
    finally:
        stack.api("PATCH", f"/deployments/{inbox}", json={"paused": True})
    scans = stack.api("POST", "/flow_runs/filter", json={"deployments": {"id": {"any_": [inbox]}}})
    assert any(scan["auto_scheduled"] and scan["state"]["type"] == "COMPLETED" for scan in scans)
    assert stack.recordings()["multilingual.mp3"].source == new


def test_ask_answers_from_the_stored_transcripts(stack: Stack) -> None:
    question = "Who vanished behind the curtain, the wizard?"
    run = stack.start("ask/ask", parameters={"question": question})
    assert stack.wait_final(run) == "COMPLETED", stack.logs()
    [artifact] = stack.api(
        "POST", "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run]}}}
    )
    assert artifact["data"].startswith(f"# {question}")
    assert "## Sources" in artifact["data"] and "stereo_diarization.wav @ 00:0" in artifact["data"]


def test_a_killed_flow_run_container_is_taken_over_by_the_next_run(
    stack: Stack, long_recording: Path
) -> None:
    [source] = copy_in(stack, "long", long_recording)
    job = {"env": {"MUMU_STALE_AFTER_S": "10", "MUMU_WHISPER_DEVICE": "cpu"}}
    first = stack.start(
        "process-recording/process-recording", parameters={"source": source}, job_variables=job
    )

    def transcribing() -> bool:
        with Session(stack.engine) as session:
            run = session.exec(
                select(StageRun)
                .join(Recording)
                .where(StageRun.stage == "transcribe", Recording.source == source)
            ).first()
            return run is not None and run.status == "running"

    wait_for(transcribing, 240, "the first run to transcribe", stack.logs)
    container = docker("ps", "-q", "--filter", f"label=io.prefect.flow-run-id={first}").strip()
    assert container, "the flow run's container"
    docker("kill", container)
    assert stack.wait_final(first) == "CRASHED"

    second = stack.start(
        "process-recording/process-recording", parameters={"source": source}, job_variables=job
    )
    assert stack.wait_final(second) == "COMPLETED", stack.logs()
    with Session(stack.engine) as session:
        [recording] = session.exec(select(Recording).where(Recording.source == source)).all()
        transcribe = session.exec(
            select(StageRun).where(
                StageRun.recording_id == recording.id, StageRun.stage == "transcribe"
            )
        ).one()
    assert (recording.status, recording.claimed_by) == ("completed", None)
    assert (transcribe.status, transcribe.attempts) == ("completed", 2)


def test_metrics_count_every_run_also_those_that_crash_before_mumu_starts(stack: Stack) -> None:
    jfk = "/data/inbox/runs/jfk.flac"
    broken = stack.start(
        "process-recording/process-recording",
        parameters={"source": jfk},
        job_variables={"network_mode": "e2e-no-such-network"},
    )
    assert stack.wait_final(broken) in {"CRASHED", "FAILED"}
    runs = stack.api(
        "POST",
        "/flow_runs/filter",
        json={"flows": {"name": {"any_": ["process-recording"]}}, "limit": 200},
    )
    by_state: dict[str, int] = {}
    for run in runs:
        by_state[run["state"]["type"]] = by_state.get(run["state"]["type"], 0) + 1
    assert by_state.get("CRASHED", 0) >= 1

    text = httpx.get(f"{stack.sidecar_url}/metrics", timeout=30).text
    assert metric(text, "mumu_prefect_api_up") == 1
    for state, count in by_state.items():
        assert metric(text, "mumu_flow_runs", flow="process-recording", state=state) == count
    stored = [recording.status for recording in stack.recordings().values()]
    assert stored.count("failed") == 1, "the bad recording"
    for status in ("completed", "failed"):
        assert metric(text, "mumu_recordings", status=status) == stored.count(status)


def test_two_workers_share_a_batch_of_runs_within_the_pools_limit(stack: Stack) -> None:
    speech = decode(DATA_DIR / "jfk.flac", 3600).samples
    folder = stack.inbox.parent / "variants"
    folder.mkdir(exist_ok=True)
    variants = [
        write_wav(folder / f"jfk-{n}.wav", np.concatenate([speech, np.zeros(1600 * n, np.float32)]))
        for n in range(1, 5)
    ]
    sources = copy_in(stack, "shared", *variants)
    second_worker = stack.workers[0].replace("-a-", "-b-")
    stack.start_worker(second_worker)
    assert stack.api("GET", f"/work_pools/{POOL}")["concurrency_limit"] == 2
    runs = [
        stack.start("process-recording/process-recording", parameters={"source": source})
        for source in sources
    ]
    most_at_once = 0
    stopped = False
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        states = [stack.state(run) for run in runs]
        most_at_once = max(most_at_once, states.count("RUNNING") + states.count("PENDING"))
        running_on_second = [
            run for run in taken_by(second_worker, runs) if states[runs.index(run)] == "RUNNING"
        ]
        if running_on_second and not stopped:
            docker("stop", second_worker)
            stopped = True
        if all(state in FINAL for state in states):
            break
        time.sleep(0.5)
    assert stopped, "the second worker never ran a run"
    assert [stack.state(run) for run in runs] == ["COMPLETED"] * 4, stack.logs()
    assert most_at_once <= 2
    assert taken_by(stack.workers[0], runs) and taken_by(second_worker, runs)
    stored = stack.recordings()
    assert all(stored[Path(source).name].status == "completed" for source in sources)


def taken_by(worker: str, runs: list[str]) -> set[str]:
    """The runs whose submission the worker's log shows."""
    result = subprocess.run(["docker", "logs", worker], capture_output=True, text=True)
    log = result.stdout + result.stderr
    return {run for run in runs if f"submitting flow run '{run}'" in log}
