"""``mumu delete`` as a user runs it: what it shows, asks, erases, and what is left."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from mumu.settings import Settings
from mumu.sidecar.app import create_app
from tests.conftest import DATA_DIR, run_mumu

pytestmark = pytest.mark.e2e


def artifact_keys(api_url: str, key: str) -> list[str]:
    found = httpx.post(
        f"{api_url}/artifacts/filter", json={"artifacts": {"key": {"any_": [key]}}}, timeout=30
    )
    found.raise_for_status()
    return [artifact["key"] for artifact in found.json()]


def one_line_of(result: object) -> str:
    stderr = str(getattr(result, "stderr", ""))
    assert getattr(result, "returncode", None) == 2 and len(stderr.strip().splitlines()) == 1
    return stderr


@pytest.mark.both_databases
def test_a_deleted_recording_is_found_nowhere_and_its_content_can_stay_refused(
    cli_env: dict[str, str], prefect_api_url: str, settings: Settings, tmp_path: Path
) -> None:
    jfk = tmp_path / "jfk.flac"
    jfk.write_bytes((DATA_DIR / "jfk.flac").read_bytes())
    assert run_mumu("run", str(jfk), env=cli_env).returncode == 0
    assert artifact_keys(prefect_api_url, "mumu-recording-1") != []

    unasked = run_mumu("delete", "1", env=cli_env)
    assert unasked.returncode == 2 and "add --yes" in unasked.stderr, unasked.stderr
    assert "fellow Americans" in run_mumu("show", "1", env=cli_env).stdout, "nothing erased"

    erased = run_mumu("delete", "--source", "*jfk*", "--keep-refusing", "--yes", env=cli_env)
    assert erased.returncode == 0, erased.stderr
    assert "erased 1 recordings" in erased.stdout and "Traceback" not in erased.stderr

    shown = run_mumu("show", "1", env=cli_env)
    assert shown.returncode == 2 and "no recording" in shown.stderr
    assert "fellow" not in run_mumu("search", "fellow Americans", env=cli_env).stdout
    assert "jfk" not in run_mumu("list", env=cli_env).stdout
    assert artifact_keys(prefect_api_url, "mumu-recording-1") == []
    runs = httpx.post(
        f"{prefect_api_url}/flow_runs/filter",
        json={"flow_runs": {"name": {"any_": [str(jfk)]}}},
        timeout=30,
    ).json()
    assert runs == [], "the run named after it goes, with its logs"
    assert "would match every recording" in one_line_of(
        run_mumu("delete", "--source", "*", env=cli_env)
    )
    token = settings.model_copy(update={"access_tokens": SecretStr("t")})
    page = TestClient(create_app(token, None)).get(
        "/recordings/1/notes.md", headers={"Authorization": "Bearer t"}
    )
    assert page.status_code == 404

    again = run_mumu("run", str(jfk), env=cli_env)
    assert again.returncode == 1 and "erased and is refused" in again.stdout
    missing = run_mumu("delete", "1", "--yes", env=cli_env)
    assert missing.returncode == 1 and "no recording 1" in missing.stderr
