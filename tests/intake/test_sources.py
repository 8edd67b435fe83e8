import json
import os
import shutil
import time
from pathlib import Path

import pytest

from mumu.errors import BadInput
from mumu.intake.sources import expand, local_path, open_recording
from mumu.settings import Settings
from tests.conftest import DATA_DIR


def test_folders_are_searched_recursively_for_audio_only(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.MP3").write_bytes(b"x")
    (tmp_path / "top.wav").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not audio")
    found = expand([str(tmp_path)])
    assert found == sorted([str(tmp_path / "a" / "b" / "deep.MP3"), str(tmp_path / "top.wav")])


def test_globs_expand_and_duplicates_collapse(tmp_path: Path) -> None:
    for name in ("one.flac", "two.flac", "three.ogg"):
        (tmp_path / name).write_bytes(b"x")
    found = expand([str(tmp_path / "*.flac"), str(tmp_path / "one.flac")])
    assert found == [str(tmp_path / "one.flac"), str(tmp_path / "two.flac")]


def test_missing_paths_are_kept_so_they_are_reported(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.wav")
    assert expand([missing]) == [missing]


def test_a_broken_link_in_a_folder_is_reported_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "gone.wav").symlink_to(tmp_path / "does-not-exist.wav")
    assert expand([str(tmp_path)]) == [str(tmp_path / "gone.wav")]
    with pytest.raises(BadInput, match="file not found"):
        open_recording(str(tmp_path / "gone.wav"), Settings().intake)


def test_a_name_that_is_not_utf8_travels_as_a_file_uri_and_opens(tmp_path: Path) -> None:
    raw = os.fsdecode(bytes(tmp_path) + b"/\xff\xfe meeting.flac")
    shutil.copy(DATA_DIR / "jfk.flac", raw)
    [source] = expand([str(tmp_path)])
    assert isinstance(source, str)
    assert source == f"file://{tmp_path}/%FF%FE%20meeting.flac"
    assert json.dumps(source) and source.encode("utf-8")
    assert local_path(source) == Path(raw)
    path, _, size = open_recording(source, Settings().intake)
    assert path == Path(raw) and size == (DATA_DIR / "jfk.flac").stat().st_size


def test_a_recursive_glob_does_not_follow_a_link_loop(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.flac").write_bytes(b"x")
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    started = time.monotonic()
    assert expand([f"{tmp_path}/**/*.flac"]) == [str(tmp_path / "a" / "x.flac")]
    assert expand([str(tmp_path)]) == [str(tmp_path / "a" / "x.flac")]
    assert time.monotonic() - started < 5


def test_content_hash_is_the_identity(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.flac"
    copy.write_bytes((DATA_DIR / "jfk.flac").read_bytes())
    _, original_hash, size = open_recording(str(DATA_DIR / "jfk.flac"), Settings().intake)
    _, copy_hash, _ = open_recording(str(copy), Settings().intake)
    assert original_hash == copy_hash
    assert size == copy.stat().st_size


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.mkdir(), "not a regular file"),
        (lambda p: None, "file not found"),
    ],
)
def test_unreadable_sources_give_one_line_reasons(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "input.wav"
    make(path)
    with pytest.raises(BadInput, match=message) as caught:
        open_recording(str(path), Settings().intake)
    assert "\n" not in str(caught.value)


def test_paths_outside_the_ingest_roots_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    root.mkdir()
    outside = tmp_path / "private.flac"
    outside.write_bytes((DATA_DIR / "jfk.flac").read_bytes())
    (root / "link.flac").symlink_to(outside)
    (root / "fine.flac").write_bytes(b"data")
    settings = Settings(ingest_roots=[root])
    for sneaky in (root / "link.flac", root / ".." / "private.flac", outside):
        with pytest.raises(BadInput, match="outside the allowed ingest roots"):
            open_recording(str(sneaky), settings.intake)
    path, _, _ = open_recording(str(root / "fine.flac"), settings.intake)
    assert path == (root / "fine.flac").resolve()


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path: Path) -> None:
    from pydantic import ByteSize

    with pytest.raises(BadInput, match=r"too large: 1\.1MiB is over the 1\.0MiB limit"):
        open_recording(str(DATA_DIR / "jfk.flac"), Settings(max_file_size=ByteSize(1 << 20)).intake)
