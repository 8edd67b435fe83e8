from pathlib import Path

import pytest

from mumu.download import discard, fetch, is_url
from mumu.errors import BadInput
from mumu.settings import Settings
from tests.conftest import DATA_DIR


@pytest.fixture
def home_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path)


def test_urls_are_recognised() -> None:
    assert is_url("https://example.com/a.mp3")
    assert is_url("HTTP://example.com/a.mp3")
    assert not is_url("/data/a.mp3")
    assert not is_url("file:///data/a.mp3")


def test_a_url_is_fetched_whole_and_discarded_after(
    audio_server: str, home_settings: Settings
) -> None:
    path = fetch(f"{audio_server}/jfk.flac", home_settings)
    assert path.read_bytes() == (DATA_DIR / "jfk.flac").read_bytes()
    assert path.suffix == ".flac"
    discard(path, home_settings)
    assert not path.exists()


def test_a_missing_url_is_bad_input_and_leaves_nothing(
    audio_server: str, home_settings: Settings
) -> None:
    with pytest.raises(BadInput, match="download refused: HTTP 404"):
        fetch(f"{audio_server}/nope.mp3", home_settings)
    assert list((home_settings.home_dir / "downloads").iterdir()) == []


def test_a_download_over_the_cap_is_refused(audio_server: str, tmp_path: Path) -> None:
    small = Settings(home=tmp_path, max_download_bytes=1000)
    with pytest.raises(BadInput, match="download too large"):
        fetch(f"{audio_server}/jfk.flac", small)
    assert list((tmp_path / "downloads").iterdir()) == []


def test_discard_only_touches_downloads(home_settings: Settings, tmp_path: Path) -> None:
    keep = tmp_path / "mine.wav"
    keep.write_bytes(b"x")
    discard(keep, home_settings)
    assert keep.exists()
