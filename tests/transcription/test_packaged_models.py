"""Multilingual models from PyPI packages: joined once, checked, never fetched."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mumu.errors import ConfigurationError
from mumu.settings import Settings
from mumu.sidecar.checks import whisper_model
from mumu.transcription.packaged_models import JOINED, PACKAGED, joined, model_directory

BASE = PACKAGED["base"]


def test_the_parts_are_joined_once_checked_and_reused(tmp_path: Path) -> None:
    assert joined(BASE, tmp_path) is None
    directory = model_directory(BASE, tmp_path)
    assert (directory / "model.bin").stat().st_size == BASE.size
    assert {"config.json", "tokenizer.json", "vocabulary.json"} <= {
        p.name for p in directory.iterdir()
    }
    before = (directory / "model.bin").stat()
    assert model_directory(BASE, tmp_path) == directory
    after = (directory / "model.bin").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    left = [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")]
    assert left == [directory.name], "no scratch left"


def test_a_join_that_was_cut_short_is_done_again(tmp_path: Path) -> None:
    directory = model_directory(BASE, tmp_path)
    (directory / JOINED).unlink()
    with (directory / "model.bin").open("r+b") as model:
        model.truncate(1000)
    assert model_directory(BASE, tmp_path) == directory
    assert (directory / "model.bin").stat().st_size == BASE.size


def test_parts_that_do_not_match_the_pinned_hash_are_refused(tmp_path: Path) -> None:
    tampered = replace(BASE, sha256="0" * 64)
    with pytest.raises(ConfigurationError, match="do not match the pinned sha256"):
        model_directory(tampered, tmp_path)
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []


def test_a_model_not_installed_names_the_extra(tmp_path: Path) -> None:
    missing = replace(BASE, packages=("no_such_model_package",))
    with pytest.raises(ConfigurationError, match=r"pip install 'mumu\[base\]'"):
        model_directory(missing, tmp_path)


def test_readiness_says_where_the_model_is_without_joining_it(tmp_path: Path) -> None:
    settings = Settings(whisper_model="base", home=tmp_path)
    check = whisper_model(settings)
    assert check.ok and check.detail == "base installed, joined on first use"
    assert not (tmp_path / "models").exists()
    model_directory(BASE, settings.models_dir)
    assert whisper_model(settings).detail.startswith("base at ")
