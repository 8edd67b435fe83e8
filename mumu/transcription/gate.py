"""The hallucination gate: what Whisper wrote that was not said, caught and re-decoded.

Whisper invents text: loops ("sufathan, sufathan, ..."), words over silence or noise,
confident-looking gibberish for speech it cannot understand (German for an English-only
model). Batched decoding also drops the words after the last timestamp of a chunk. The
gate looks at each window's segments:

- a segment is *flagged* for a repetition loop (gzip compression ratio, a word group
  said again and again, the same text segment after segment), for text over what the
  model itself calls non-speech, or as unclear (low word confidence, or a low
  log-probability amid flagged neighbours);
- a flagged segment is decoded again alone (sequentially, without the previous text,
  with temperature fallback); the new text replaces it if it passes; else a loop or
  words over non-speech are kept out of the transcript text and stored with the reason
  (``flag``), so nothing is lost silently, and speech that is merely unclear stays in the
  text, marked with its ``doubt`` for a reader to check: hiding what was said, however
  unsure, made transcripts worse than the plain decode (issue 24);
- speech (by VAD) that no segment covers is decoded on its own and added when it passes.

The thresholds were chosen on the shared clips, with no false flags on clean speech:
``tests/transcription/test_gate.py`` holds both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from mumu import repetition

SAMPLE_RATE = 16_000
MAX_COMPRESSION_RATIO = 2.4
NO_SPEECH_PROBABILITY = 0.6
NO_SPEECH_LOGPROB = -1.0
UNCLEAR_WORD_CONFIDENCE = 0.6
DOUBTFUL_WORD_CONFIDENCE = 0.8
DOUBTFUL_LOGPROB = -0.8
UNCLEAR_LOGPROB = -1.0
SECOND_CHANCE_WORD_CONFIDENCE = 0.8
SECOND_CHANCE_LOGPROB = -0.5
UNCLEAR = "unclear"
PADDING_S = 0.3
MIN_GAP_S = 2.0


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class TranscriptSegment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    words: list[Word]
    flag: str | None = None
    language: str | None = None
    channel: int | None = None
    voice: int | None = None
    doubt: str | None = None

    def shifted(self, seconds: float) -> TranscriptSegment:
        words = [replace(w, start=w.start + seconds, end=w.end + seconds) for w in self.words]
        return replace(self, start=self.start + seconds, end=self.end + seconds, words=words)


Decoder = Callable[[np.ndarray], list[TranscriptSegment]]


def review(
    segments: Sequence[TranscriptSegment],
    samples: np.ndarray,
    redecode: Decoder,
    speech: list[tuple[float, float]],
) -> list[TranscriptSegment]:
    """The window's segments with flagged ones re-decoded or marked, and gaps filled."""
    reviewed: list[TranscriptSegment] = []
    for run in _runs(segments, flags(segments)):
        if run[0][1] is None:
            reviewed += [segment for segment, _ in run]
            continue
        again = _decode_span(samples, run[0][0].start, run[-1][0].end, redecode)
        if _convincing(again):
            reviewed += again
        else:
            reviewed += [_judged(segment, reason) for segment, reason in run]
    for start, end in _uncovered(speech, reviewed):
        before = _just_before(reviewed, start)
        if before is not None:  # words lost at a chunk's end: decode them with what led up
            again = _decode_span(samples, before.start, end, redecode)
            if _convincing(again):
                reviewed = [s for s in reviewed if s is not before] + again
                continue
        again = _decode_span(samples, start, end, redecode)
        if _convincing(again):
            reviewed += again
    return sorted(reviewed, key=lambda segment: segment.start)


def _judged(segment: TranscriptSegment, reason: str | None) -> TranscriptSegment:
    """A loop or words over silence are kept out of the text; speech that is merely
    unclear stays in it, marked with the doubt, for a reader to check."""
    if reason is not None and reason.startswith(UNCLEAR):
        return replace(segment, doubt=reason)
    return replace(segment, flag=reason)


def _runs(
    segments: Sequence[TranscriptSegment], reasons: list[str | None]
) -> list[list[tuple[TranscriptSegment, str | None]]]:
    """Consecutive segments that are all trusted, or all flagged: a flagged run is decoded
    again as one span (one call, and the words around a cut are heard together)."""
    runs: list[list[tuple[TranscriptSegment, str | None]]] = []
    for segment, reason in zip(segments, reasons, strict=True):
        if runs and (runs[-1][-1][1] is None) == (reason is None):
            runs[-1].append((segment, reason))
        else:
            runs.append([(segment, reason)])
    return runs


def _convincing(segments: Sequence[TranscriptSegment]) -> bool:
    """A second decoding replaces text only when it passes the gate with confidence to
    spare: the first one was already doubtful, or missing."""
    if not segments or any(flags(segments)):
        return False
    words = [word.probability for segment in segments for word in segment.words]
    if words:
        return float(np.mean(words)) >= SECOND_CHANCE_WORD_CONFIDENCE
    return all(segment.avg_logprob >= SECOND_CHANCE_LOGPROB for segment in segments)


def _just_before(segments: Sequence[TranscriptSegment], start: float) -> TranscriptSegment | None:
    """The trusted segment that ends where a gap starts (within a second), if any."""
    candidates = [
        s for s in segments if s.flag is None and s.end <= start + 0.05 and start - s.end < 1.0
    ]
    return max(candidates, key=lambda s: s.end, default=None)


def flags(segments: Sequence[TranscriptSegment]) -> list[str | None]:
    """Why each segment is not to be trusted, or None."""
    reasons = [_reason(segment) for segment in segments]
    texts = [repetition.words(segment.text) for segment in segments]
    for index in range(len(segments)):
        if reasons[index]:
            continue
        if index >= 2 and texts[index] and texts[index] == texts[index - 1] == texts[index - 2]:
            reasons[index] = "repetition loop: the same text three segments in a row"
        neighbours = reasons[index - 1 : index] + reasons[index + 1 : index + 2]
        if (
            len(neighbours) == 2
            and all(neighbours)
            and segments[index].avg_logprob < DOUBTFUL_LOGPROB
        ):
            reasons[index] = f"unclear: amid unclear speech, log-probability {_lp(segments[index])}"
    return reasons


def _reason(segment: TranscriptSegment) -> str | None:
    if segment.compression_ratio > MAX_COMPRESSION_RATIO:
        return f"repetition loop: compression ratio {segment.compression_ratio:.1f}"
    loop = repetition.loop(repetition.words(segment.text))
    if loop:
        return f'repetition loop: "{loop[0]}" {loop[1]} times in a row'
    if segment.no_speech_prob > NO_SPEECH_PROBABILITY and segment.avg_logprob < NO_SPEECH_LOGPROB:
        return f"no speech: no-speech probability {segment.no_speech_prob:.2f}"
    if segment.words:
        confidence = float(np.mean([word.probability for word in segment.words]))
        doubtful = confidence < DOUBTFUL_WORD_CONFIDENCE and segment.avg_logprob < DOUBTFUL_LOGPROB
        if confidence < UNCLEAR_WORD_CONFIDENCE or doubtful:
            return f"unclear: word confidence {confidence:.2f}, log-probability {_lp(segment)}"
    elif segment.avg_logprob < UNCLEAR_LOGPROB:
        return f"unclear: log-probability {_lp(segment)}"
    return None


def _lp(segment: TranscriptSegment) -> str:
    return f"{segment.avg_logprob:.2f}"


def _decode_span(
    samples: np.ndarray, start: float, end: float, redecode: Decoder
) -> list[TranscriptSegment]:
    first = max(0, int((start - PADDING_S) * SAMPLE_RATE))
    last = min(len(samples), int((end + PADDING_S) * SAMPLE_RATE))
    if last - first < SAMPLE_RATE // 2:
        return []
    return [segment.shifted(first / SAMPLE_RATE) for segment in redecode(samples[first:last])]


def _uncovered(
    speech: list[tuple[float, float]], segments: Sequence[TranscriptSegment]
) -> list[tuple[float, float]]:
    """Stretches of speech, ``MIN_GAP_S`` or longer, that no segment covers."""
    covered = sorted((segment.start, segment.end) for segment in segments)
    gaps = []
    for start, end in speech:
        cursor = start
        for covered_start, covered_end in covered:
            if covered_end <= cursor or covered_start >= end:
                continue
            if covered_start - cursor >= MIN_GAP_S:
                gaps.append((cursor, covered_start))
            cursor = max(cursor, covered_end)
        if end - cursor >= MIN_GAP_S:
            gaps.append((cursor, end))
    return gaps
