"""The golden set the project builds itself: recordings like users bring, with references,
and mumu held to raw faster-whisper on each."""

from __future__ import annotations

from pathlib import Path

import pytest

from mumu.devtools.evaluate import behind_raw, golden_set, score
from mumu.devtools.goldenset import ENGLISH, LANGUAGES, build
from mumu.settings import Settings
from mumu.transcription.audio import probe

IN_ENGLISH = [
    "meeting-noisy.wav",
    "call-stereo.wav",
    "names-and-jargon.wav",
    "two-men.wav",
    "four-voices.wav",
]
IN_LANGUAGES = ["switching.wav", "de.wav", "fr.wav", "es.wav"]


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("golden")
    build(folder, long_minutes=0)
    return folder


def test_each_recording_is_built_with_what_was_said_beside_it(golden: Path) -> None:
    items = {item.name: item for item in golden_set([golden / ENGLISH, golden / LANGUAGES])}
    assert sorted(items) == sorted(
        [f"{ENGLISH}/{name}" for name in IN_ENGLISH]
        + [f"{LANGUAGES}/{name}" for name in IN_LANGUAGES]
    )
    meeting = items[f"{ENGLISH}/meeting-noisy.wav"]
    assert "Bob, please also update the documentation" in meeting.reference
    assert meeting.turns and [who for _, _, who in meeting.turns][:3] == ["Ann", "Ann", "Bob"]
    assert meeting.turns[4][0] > 40, "after the music and the silence"
    assert {who for _, _, who in items[f"{ENGLISH}/two-men.wav"].turns or []} == {"Bob", "Dan"}
    assert probe(golden / ENGLISH / "call-stereo.wav").channels == 2
    meeting_s = probe(meeting.path).declared_duration_s
    assert meeting_s is not None and meeting_s > 50, "speech, music and 20 s of silence"


@pytest.mark.slow
@pytest.mark.parametrize(("part", "model"), [(ENGLISH, "tiny.en"), (LANGUAGES, "base")])
def test_mumu_is_no_worse_than_raw_faster_whisper_on_any_file(
    golden: Path, part: str, model: str
) -> None:
    """Raw faster-whisper with its library defaults on the same model is the bar: what
    mumu adds (the gate, language per utterance, channels, cues) must never cost words."""
    items = golden_set([golden / part])
    scored = score(items, Settings(whisper_model=model), "current")
    assert behind_raw(scored) == [], [(f.name, f.wer, f.raw_wer) for f in scored.files]
    assert all(f.hidden_right <= f.hidden_words for f in scored.files)


@pytest.mark.slow
def test_voices_are_told_apart(golden: Path) -> None:
    """On one channel: two men of one accent; two women and a man over noise, music and
    silence; four voices in quick turns. Every file: the right number of speakers, and
    the right speaker for nine tenths of the speaking time or more."""
    with_voices = [item for item in golden_set([golden / ENGLISH]) if item.turns]
    assert len(with_voices) == 4
    scored = score(with_voices, Settings(diarize=True), "voices").files
    for file in scored:
        assert file.speakers_right is not None and file.speakers_right >= 0.9, file
        assert file.speakers_found == file.speakers_said, file
