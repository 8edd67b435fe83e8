"""What erasure chooses and what it removes outside the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from mumu.db import views
from mumu.errors import ConfigurationError
from mumu.flows.erase import choose, remove_downloads
from mumu.intake.sources import content_hash
from mumu.settings import Settings


def test_only_the_downloaded_copies_of_the_erased_content_go(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "a.flac").write_bytes(b"erased recording")
    (downloads / "b.flac").write_bytes(b"erased recording")
    (downloads / "c.flac").write_bytes(b"another recording")
    erased = content_hash(downloads / "a.flac")
    assert remove_downloads(downloads, erased) == 2
    assert [path.name for path in downloads.iterdir()] == ["c.flac"]
    assert remove_downloads(downloads, None) == 0
    assert remove_downloads(tmp_path / "never-made", erased) == 0


def test_recordings_are_chosen_by_id_pattern_or_age_and_never_by_nothing(
    stored: Engine, settings: Settings
) -> None:
    with pytest.raises(ConfigurationError, match="name the recordings"):
        choose(settings.database, [], None, None)
    with pytest.raises(ConfigurationError, match="give 0 to 36600 days"):
        choose(settings.database, None, None, -1)
    for refused in (float("inf"), 1e308, 800000):
        with pytest.raises(ConfigurationError, match="give 0 to"):
            choose(settings.database, None, None, refused)
    for everything in ("", "*", " ** "):
        with pytest.raises(ConfigurationError, match="would match every recording"):
            choose(settings.database, None, everything, None)
    chosen, missing = choose(settings.database, [1, 1, 7], None, None)
    assert ([row.id for row in chosen], missing) == ([1], [7])
    assert [row.id for row in choose(settings.database, None, "*call*", None)[0]] == [1]
    assert choose(settings.database, None, "*standup*", None)[0] == []
    assert choose(settings.database, None, None, 1)[0] == [], "stored just now"
    assert [row.id for row in choose(settings.database, None, None, 0)[0]] == [1]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_retention_erases_what_is_older_than_its_days_and_its_dry_run_erases_nothing(
    stored: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import text

    from mumu.flows.erase import ErasureReport, retention
    from mumu.settings import get_settings

    with stored.begin() as connection:
        connection.execute(text("UPDATE recordings SET created_at = :old"), {"old": "2026-01-01"})
    kept = retention()
    assert isinstance(kept, ErasureReport) and kept.chosen == [], "no MUMU_RETENTION_DAYS"

    monkeypatch.setenv("MUMU_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    listed = retention(dry_run=True)
    assert isinstance(listed, ErasureReport)
    assert [row.id for row in listed.chosen] == [1] and listed.erased == []
    assert views.recording_row(stored, 1) is not None

    erased = retention()
    assert isinstance(erased, ErasureReport)
    assert [e.recording_id for e in erased.erased] == [1]
    assert views.recording_row(stored, 1) is None
