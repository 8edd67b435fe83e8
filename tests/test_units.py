from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mumu.settings import Settings
from mumu.units import parse_duration


@given(hours=st.integers(0, 48), minutes=st.integers(0, 59), seconds=st.integers(0, 59))
def test_compound_durations_add_up(hours: int, minutes: int, seconds: int) -> None:
    text = (
        "".join(
            f"{amount}{unit}"
            for amount, unit in ((hours, "h"), (minutes, "m"), (seconds, "s"))
            if amount
        )
        or "0s"
    )
    assert parse_duration(text) == timedelta(hours=hours, minutes=minutes, seconds=seconds)


@given(st.decimals(min_value=0, max_value=10_000_000, places=3))
def test_plain_numbers_are_seconds(seconds: object) -> None:
    assert parse_duration(str(seconds)).total_seconds() == pytest.approx(float(str(seconds)))


@given(st.text())
def test_anything_else_is_passed_through_or_parsed_never_crashes(text: str) -> None:
    result = parse_duration(text)
    assert result == text or isinstance(result, timedelta)


def test_settings_read_sizes_and_durations_the_way_people_write_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUMU_MAX_FILE_SIZE", "500MB")
    monkeypatch.setenv("MUMU_MAX_DURATION", "PT2H30M")
    settings = Settings()
    assert settings.max_file_size == 500_000_000
    assert settings.max_duration.total_seconds() == 9000
    for text, seconds in (("5400", 5400), ("90m", 5400), ("1h 30m", 5400), ("45s", 45)):
        monkeypatch.setenv("MUMU_MAX_DURATION", text)
        assert Settings().max_duration.total_seconds() == seconds
    monkeypatch.setenv("MUMU_MAX_FILE_SIZE", "lots")
    with pytest.raises(ValueError, match="max_file_size"):
        Settings()
    monkeypatch.setenv("MUMU_MAX_FILE_SIZE", "1GiB")
    monkeypatch.setenv("MUMU_MAX_DURATION", "a while")
    with pytest.raises(ValueError, match="max_duration"):
        Settings()
