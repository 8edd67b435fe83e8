"""faster-whisper's batched pipeline, keeping the words it drops at the end of each chunk.

Whisper closes each segment it writes with a timestamp token. When a window's last
segment is not closed (the tiny models often end with text, then end-of-text),
faster-whisper's ``_split_segments_by_timestamps`` leaves it out and moves the window to
the last timestamp: sequential decoding then decodes those words again from there. The
batched pipeline decodes each VAD chunk once and has no next window, so the words after
the chunk's last timestamp are lost: this is most of the words batched decoding loses
(decision record 0019).

``KeepingTails`` stands in for the model inside ``BatchedInferencePipeline`` and keeps
that last segment, ending at the chunk's end. Everything else is the model's own; the
model is not changed, so threads sharing it are not affected.
"""

from __future__ import annotations

from typing import Any

from faster_whisper import BatchedInferencePipeline, WhisperModel


class KeepingTails:
    """A ``WhisperModel`` whose timestamp split keeps a chunk's unfinished last segment."""

    def __init__(self, model: WhisperModel) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def _split_segments_by_timestamps(
        self,
        tokenizer: Any,
        tokens: list[int],
        time_offset: float,
        segment_size: int,
        segment_duration: float,
        seek: int,
    ) -> tuple[list[dict[str, Any]], int, bool]:
        segments, seek, single_timestamp_ending = self._model._split_segments_by_timestamps(
            tokenizer=tokenizer,
            tokens=tokens,
            time_offset=time_offset,
            segment_size=segment_size,
            segment_duration=segment_duration,
            seek=seek,
        )
        tail = tokens[sum(len(segment["tokens"]) for segment in segments) :]
        if any(token < tokenizer.eot for token in tail):
            start = segments[-1]["end"] if segments else time_offset
            if tail[0] >= tokenizer.timestamp_begin:
                precision = self._model.time_precision
                start = time_offset + (tail[0] - tokenizer.timestamp_begin) * precision
            end = max(start, time_offset + segment_duration)
            segments.append({"seek": seek, "start": start, "end": end, "tokens": tail})
        return segments, seek, single_timestamp_ending


def batched_pipeline(model: WhisperModel) -> BatchedInferencePipeline:
    return BatchedInferencePipeline(model=KeepingTails(model))
