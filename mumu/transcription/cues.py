"""Segments a person can cite and read as subtitles: one a sentence where the speaker
pauses after it, none longer than 15 s.

Whisper sometimes writes fewer timestamps than it heard pauses: with ``hotwords`` (mumu's
vocabulary) a meeting of 17 segments came back as three of 22, 37 and 19 s, subtitle
cues of half a minute and citations that point nowhere in particular; on a stand-up of
eight sentences, each followed by 0.8 s of silence, eight segments became four. So a
segment is cut after every sentence the speaker pauses after (``SENTENCE_PAUSE_S``, by
the word timestamps), and a part still longer than ``MAX_SEGMENT_S`` between the words
where it is best cut (the longest pause, a sentence's end, then a comma), again until
every part is short enough; each part keeps the segment's scores and its own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mumu.transcription.gate import TranscriptSegment, Word

MAX_SEGMENT_S = 15.0
SENTENCE_PAUSE_S = 0.3
SENTENCE_END_S = 0.6
"""A sentence's end weighs like a pause of this many seconds; a comma half as much."""


def split_long(segments: Sequence[TranscriptSegment]) -> list[TranscriptSegment]:
    return [
        part
        for segment in segments
        for sentence in _sentences(segment)
        for part in _split(sentence)
    ]


def _sentences(segment: TranscriptSegment) -> list[TranscriptSegment]:
    """The segment cut after each sentence its speaker pauses after."""
    words = segment.words
    if segment.flag or len(words) < 2 or not _words_are_the_text(segment):
        return [segment]
    cuts = [
        at
        for at in range(1, len(words))
        if words[at - 1].word.rstrip().endswith((".", "?", "!"))
        and words[at].start - words[at - 1].end >= SENTENCE_PAUSE_S
    ]
    if not cuts:
        return [segment]
    bounds = [0, *cuts, len(words)]
    return [
        _part(
            segment,
            words[first:last],
            segment.start if first == 0 else words[first].start,
            segment.end if last == len(words) else words[last - 1].end,
        )
        for first, last in zip(bounds, bounds[1:], strict=False)
    ]


def _split(segment: TranscriptSegment) -> list[TranscriptSegment]:
    words = segment.words
    if segment.end - segment.start <= MAX_SEGMENT_S or len(words) < 2 or segment.flag:
        return [segment]
    if not _words_are_the_text(segment):
        return [segment]
    cut = max(range(1, len(words)), key=lambda at: (_weight(words, at), -_off_middle(words, at)))
    first = _part(segment, words[:cut], segment.start, words[cut - 1].end)
    second = _part(segment, words[cut:], words[cut].start, segment.end)
    return _split(first) + _split(second)


def _weight(words: Sequence[Word], at: int) -> float:
    """How good a place to cut, between ``words[at - 1]`` and ``words[at]``."""
    said = words[at - 1].word.rstrip()
    pause = max(0.0, words[at].start - words[at - 1].end)
    if said.endswith((".", "?", "!")):
        return pause + SENTENCE_END_S
    if said.endswith((",", ";", ":")):
        return pause + SENTENCE_END_S / 2
    return pause


def _off_middle(words: Sequence[Word], at: int) -> float:
    middle = (words[0].start + words[-1].end) / 2
    return abs(words[at].start - middle)


def _words_are_the_text(segment: TranscriptSegment) -> bool:
    """Parts are made of words: only a segment whose words spell its text is cut."""
    spelled = "".join(word.word for word in segment.words)
    return spelled.split() == segment.text.split()


def _part(
    segment: TranscriptSegment, words: Sequence[Word], start: float, end: float
) -> TranscriptSegment:
    text = "".join(word.word for word in words).strip()
    return replace(segment, start=start, end=max(start, end), text=text, words=list(words))
