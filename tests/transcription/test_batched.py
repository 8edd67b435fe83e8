"""The batched pipeline keeps the words after a chunk's last timestamp."""

from __future__ import annotations

from dataclasses import dataclass

from mumu.settings import Settings
from mumu.transcription import whisper
from mumu.transcription.batched import KeepingTails

TIMESTAMP_BEGIN = 50363
EOT = 50256


@dataclass
class Tokenizer:
    timestamp_begin: int = TIMESTAMP_BEGIN
    eot: int = EOT


def at(seconds: float) -> int:
    return TIMESTAMP_BEGIN + round(seconds / 0.02)


def split(tokens: list[int]) -> list[dict[str, object]]:
    model = whisper.get_model(Settings().transcription.engine)
    segments, _, _ = KeepingTails(model)._split_segments_by_timestamps(
        Tokenizer(), tokens, time_offset=100.0, segment_size=3000, segment_duration=25.0, seek=0
    )
    return segments


def test_an_unfinished_last_segment_is_kept_to_the_chunk_end() -> None:
    finished, unfinished = [at(0), 11, 12, at(4.0)], [at(4.0), 13, 14]
    segments = split(finished + unfinished)
    assert [s["tokens"] for s in segments] == [finished, unfinished]
    assert (segments[1]["start"], segments[1]["end"]) == (104.0, 125.0)


def test_finished_chunks_are_split_as_faster_whisper_splits_them() -> None:
    closed = [at(0), 11, at(2.0), at(2.0), 12, at(5.0)]
    assert [s["tokens"] for s in split(closed)] == [closed[:3], closed[3:]]
    no_timestamps = [11, 12, 13]
    assert [s["tokens"] for s in split(no_timestamps)] == [no_timestamps]
