"""`MUMU_HOME` on a disk that fills up mid-run: one line, and the next run, with space,
goes on with what the full run held (its claims were given up, or are a dead process's),
and until then nothing reads as running."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mumu.db.engine import upgrade
from tests.conftest import DATA_DIR, run_mumu

pytestmark = pytest.mark.e2e


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 400 KiB file system (tmpfs): room for the schema and little more."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400K", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_disk_that_fills_up_is_one_line_and_the_next_run_goes_on(
    small_disk: Path, own_server_env: dict[str, str], tmp_path: Path
) -> None:
    home = small_disk / "home"
    upgrade(f"sqlite:///{home / 'mumu.db'}")
    env = own_server_env | {"MUMU_HOME": str(home)}
    env.pop("MUMU_DATABASE_URL", None)
    sources = [str(DATA_DIR / "jfk.flac"), str(DATA_DIR / "hotwords.mp3")]
    full = run_mumu("run", *sources, env=env)
    assert full.returncode == 2, full.stdout + full.stderr
    assert "Traceback" not in full.stderr
    assert full.stderr.strip().splitlines()[-1].endswith("database or disk is full")
    left = run_mumu("list", "--json", env=env)
    assert left.returncode == 0, left.stdout + left.stderr
    assert '"running"' not in left.stdout, "nothing reads as running once its run is gone"

    roomy = tmp_path / "roomy"
    shutil.copytree(home, roomy)
    again = run_mumu("run", *sources, env=env | {"MUMU_HOME": str(roomy)})
    assert again.returncode == 0, again.stdout + again.stderr
    listed = run_mumu("list", "--json", env=env | {"MUMU_HOME": str(roomy)})
    assert listed.stdout.count('"completed"') == 2, "what the full disk held is taken over"
