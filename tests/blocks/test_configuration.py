"""Where each value of a run's configuration came from, said once at the run's start."""

from __future__ import annotations

import logging

import pytest

from mumu.blocks import settings_from_blocks, where_from
from mumu.settings import Settings, get_settings


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_each_value_not_left_at_its_default_is_said_with_its_origin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUMU_WHISPER_BEAM_SIZE", "3")
    monkeypatch.setenv("MUMU_DATABASE_URL", "postgresql+psycopg://mumu:pw-s3cret@db/mumu")
    get_settings.cache_clear()
    logger = logging.getLogger("mumu.configuration")  # outside a flow run
    said = Lines()
    logger.addHandler(said)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        settings = settings_from_blocks(vocabulary="ComfyUI, Prefect")
    finally:
        logger.removeHandler(said)
        logger.setLevel(level)
        get_settings.cache_clear()
    [line] = said.lines
    assert settings.whisper_vocabulary == "ComfyUI, Prefect"
    assert "whisper_beam_size=3 (environment)" in line
    assert "whisper_vocabulary='ComfyUI, Prefect' (parameter)" in line
    assert "database_url=(secret, set) (environment)" in line
    assert "s3cret" not in line
    assert line.endswith("; the rest default")
    assert "llm_model" not in line, "a value left at its default is not listed"


def test_a_block_is_named_as_the_origin_of_what_it_set() -> None:
    settings = Settings().model_copy(update={"llm_model": "smollm2", "whisper_model": "base"})
    origins = {"llm_model": "block llm-main", "whisper_model": "block gpu"}
    line = where_from(settings, origins)
    assert "llm_model='smollm2' (block llm-main)" in line
    assert "whisper_model='base' (block gpu)" in line
