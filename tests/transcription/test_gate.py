"""The hallucination gate: each kind of invented text caught, clean speech left alone."""

from __future__ import annotations

import numpy as np
import pytest

from mumu.devtools.bench import word_error_rate
from mumu.settings import Settings
from mumu.stages.transcribe import transcribe
from mumu.transcription.audio import DecodedAudio, decode
from mumu.transcription.gate import TranscriptSegment, Word, flags, review
from tests.conftest import DATA_DIR, REFERENCES

SILENCE = np.zeros(16_000 * 30, dtype=np.float32)


def segment(
    start: float,
    end: float,
    text: str,
    logprob: float = -0.2,
    no_speech: float = 0.05,
    ratio: float = 1.2,
    confidence: float | None = 0.95,
) -> TranscriptSegment:
    words = [Word(start, end, w, confidence) for w in text.split()] if confidence else []
    return TranscriptSegment(start, end, text, logprob, no_speech, ratio, words)


@pytest.mark.parametrize(
    ("suspect", "reason"),
    [
        (segment(0, 5, "sufathan, sufathan, sufathan, sufathan, sufathan"), "repetition loop"),
        (segment(0, 5, "thank you so much thank you so much " * 3), "repetition loop"),
        (segment(0, 5, "la la la di da", ratio=3.1), "repetition loop: compression"),
        (segment(0, 5, "Thanks for watching!", logprob=-1.4, no_speech=0.9), "no speech"),
        (segment(0, 5, "Yiden there is a soft wear", confidence=0.4), "unclear: word confid"),
        (segment(0, 5, "Tufafir Faitigin", logprob=-0.9, confidence=0.7), "unclear"),
        (segment(0, 5, "Tufafir Faitigin", logprob=-1.3, confidence=None), "unclear: log"),
    ],
)
def test_each_kind_of_invented_text_is_flagged(suspect: TranscriptSegment, reason: str) -> None:
    [found] = flags([suspect])
    assert found is not None and found.startswith(reason)


def test_the_same_text_segment_after_segment_is_a_loop() -> None:
    loop = [segment(i, i + 1, "I'm going to go ahead and do it.") for i in range(4)]
    assert (
        flags(loop) == [None, None] + ["repetition loop: the same text three segments in a row"] * 2
    )


def test_doubtful_text_between_flagged_segments_is_flagged_too() -> None:
    run = [
        segment(0, 1, "Sumo de Fitzian", confidence=0.3),
        segment(1, 2, "these soft wear", logprob=-0.86, confidence=0.87),
        segment(2, 3, "Sufafin Tletin", confidence=0.3),
    ]
    assert (flags(run)[1] or "").startswith("unclear: amid unclear speech")


def test_plain_speech_is_never_flagged() -> None:
    said = [
        segment(0, 4, "No, no, no. We said Friday.", logprob=-0.4, confidence=0.85),
        segment(4, 8, "He theorizes if you seem to plainly desert", logprob=-0.7, confidence=0.76),
    ]
    assert flags(said) == [None, None]


def test_a_flagged_segment_is_replaced_when_a_second_decoding_convinces() -> None:
    doubtful = segment(1, 3, "Tufafir Faitigin", confidence=0.4)
    clear = segment(0, 1.5, "ask what you can do", confidence=0.95)
    reviewed = review([doubtful], SILENCE, redecode=lambda _span: [clear], speech=[])
    assert [(s.text, s.flag) for s in reviewed] == [("ask what you can do", None)]
    assert reviewed[0].start == pytest.approx(0.7 + 0.0)


def test_speech_still_unclear_after_a_second_decoding_is_kept_in_marked_with_its_doubt() -> None:
    """Hiding what was said, however unsure, made transcripts worse than the plain decode:
    on a noisy stand-up "The mobile release is blocked…" scored 0.58, German gibberish
    from tiny.en 0.36–0.58; no threshold tells them apart, so a reader is told instead."""
    doubtful = segment(1, 3, "Tufafir Faitigin", confidence=0.4)
    reviewed = review([doubtful], SILENCE, redecode=lambda _span: [doubtful], speech=[])
    assert [(s.text, s.flag) for s in reviewed] == [("Tufafir Faitigin", None)]
    assert (reviewed[0].doubt or "").startswith("unclear: word confidence 0.40")


def test_a_loop_still_looping_after_a_second_decoding_is_kept_out_marked() -> None:
    looping = segment(1, 3, "sufathan, sufathan, sufathan, sufathan, sufathan")
    reviewed = review([looping], SILENCE, redecode=lambda _span: [looping], speech=[])
    assert (reviewed[0].flag or "").startswith("repetition loop")
    assert reviewed[0].doubt is None


def test_speech_no_segment_covers_is_decoded_with_what_led_up_to_it() -> None:
    """Batched decoding drops the words after a chunk's last timestamp."""
    cut = segment(0, 8, "the above copyright notice and")
    spans: list[int] = []

    def redecode(span: np.ndarray) -> list[TranscriptSegment]:
        spans.append(len(span))
        return [segment(0, 11, "the above copyright notice and this permission notice")]

    reviewed = review([cut], SILENCE, redecode=redecode, speech=[(0.0, 11.0)])
    assert [s.text for s in reviewed] == ["the above copyright notice and this permission notice"]
    assert spans == [int(11.3 * 16_000)]


@pytest.mark.slow
def test_no_loop_or_invented_text_reaches_a_stored_transcript_of_the_shared_clips() -> None:
    """Sequential decoding; batched: tests/flows/test_process_batch.py, same file."""
    settings = Settings()
    mixed = transcribe(decode(DATA_DIR / "multilingual.mp3", 3600), settings.transcription)
    english = REFERENCES["multilingual.mp3"]["text_en"]
    heard_english = " ".join(s.text for s in mixed.segments if s.start < 29)
    # tiny.en's English half: 0.00 on one machine, 0.09 on another (CPU kernels differ,
    # same code)
    assert word_error_rate(english, heard_english) < 0.12
    assert all(s.flag is None and s.doubt is None for s in mixed.segments if s.start < 29)
    german = [s for s in mixed.segments if s.start > 30]
    assert all(s.flag or s.doubt for s in german), "what tiny.en makes of German is marked"
    assert not any(s.text in mixed.text for s in german if s.flag), "loops are kept out"
    for name in ("jfk.flac", "hotwords.mp3", "stereo_diarization.wav"):
        clean = transcribe(decode(DATA_DIR / name, 3600), settings.transcription)
        assert clean.segments and not any(s.flag or s.doubt for s in clean.segments), name


@pytest.mark.slow
def test_silence_and_noise_store_no_words() -> None:
    noise = np.random.default_rng(7).normal(0, 0.05, 16_000 * 8).astype(np.float32)
    for audio in (np.zeros(16_000 * 8, dtype=np.float32), noise):
        result = transcribe(DecodedAudio.from_samples(audio), Settings().transcription)
        assert result.text == ""
