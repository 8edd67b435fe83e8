"""Exports: the transcript as plain text, SubRip (SRT), WebVTT and JSON; the notes as
markdown whose every claim links to the moments it cites."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from mumu.db.states import StageStatus
from mumu.db.views import EvidenceView, InsightsView, RecordingDetail, SegmentView
from mumu.speakers import spoken_by
from mumu.text import json_escaped, on_one_line, unhidden

FORMATS = ("txt", "srt", "vtt", "json", "notes")


def timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def clock(seconds: float) -> str:
    """A position people read: ``mm:ss``, or ``h:mm:ss`` from the first hour on."""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


UNCLEAR = "[unclear]"


def to_txt(segments: Sequence[SegmentView]) -> str:
    return "".join(f"{spoken_by(segment.speaker)}{_said(segment)}\n" for segment in segments)


def to_srt(segments: Sequence[SegmentView]) -> str:
    blocks = [
        f"{index}\n{timestamp(s.start, ',')} --> {timestamp(s.end, ',')}\n"
        f"{_cue(spoken_by(s.speaker) + _said(s))}\n"
        for index, s in enumerate(segments, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(segments: Sequence[SegmentView]) -> str:
    """WebVTT; where a recording has more than one language, each cue's text is a
    ``<lang>`` span, so players and screen readers know what they are reading; where
    it has a speaker per channel, a ``<v>`` voice span names who speaks."""
    several = len({s.language for s in segments if s.language}) > 1
    cues = []
    for s in segments:
        said = _vtt_text(_cue(_said(s)))
        if several and s.language:
            said = f"<lang {s.language}>{said}</lang>"
        if s.speaker:
            said = f"<v {_vtt_text(_cue(s.speaker)).replace('>', '&gt;')}>{said}"
        cues.append(f"{timestamp(s.start, '.')} --> {timestamp(s.end, '.')}\n{said}\n")
    return "WEBVTT\n\n" + "\n".join(cues)


def render(detail: RecordingDetail, fmt: str) -> str:
    segments = detail.transcript.segments if detail.transcript else []
    if fmt == "txt":
        return to_txt(segments)
    if fmt == "srt":
        return to_srt(segments)
    if fmt == "vtt":
        return to_vtt(segments)
    if fmt == "json":
        return json_escaped(json.dumps(asdict(detail), indent=2, ensure_ascii=False)) + "\n"
    if fmt == "notes":
        return notes_markdown(detail, linked=True)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


LOW_WORD_CONFIDENCE = 0.5
"""Below this probability a word is shown as one to check: faster-whisper's word
probabilities on the shared clips put misheard names ("Ma" for "Bob") under it."""


def weak_spot(segment: SegmentView) -> str | None:
    """What a reader should check in a kept segment: why Whisper was unsure of it, and
    the words it heard with low confidence; None when nothing."""
    if segment.flag:
        return None
    unsure = [
        str(word.get("word", "")).strip().strip(".,;:!?")
        for word in segment.words or []
        if float(word.get("probability", 1.0)) < LOW_WORD_CONFIDENCE
    ]
    parts = [segment.doubt] if segment.doubt else []
    if unsure:
        parts.append("check " + ", ".join(f"“{word}”" for word in unsure if word))
    return "; ".join(parts) or None


def _said(segment: SegmentView) -> str:
    """What a reader gets: the text, or [unclear] where the gate did not trust it."""
    return UNCLEAR if segment.flag else unhidden(segment.text)


def _cue(text: str) -> str:
    """Cue text may not contain a blank line (it would end the cue) or '-->'."""
    while "-->" in text:  # once is not enough: "--->" becomes "-->"
        text = text.replace("-->", "->")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines) or "..."


def _vtt_text(text: str) -> str:
    """WebVTT cue text is markup: '&' and '<' are escaped, or a player reads tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def notes_markdown(detail: RecordingDetail, linked: bool = False) -> str:
    """A recording's notes for people: title, summary, action items, chapters, or why not.

    Each claim is followed by the times of the segments it cites; ``linked`` (the
    ``notes`` export) makes each time a link to its line in the transcript, which is
    appended. Claims that did not hold are listed with the reason. Everything that came
    from the recording or the LLM is escaped, so a title cannot turn into a link or an
    image where the markdown is rendered (the Prefect UI).
    """
    insights = detail.insights
    source = Path(detail.source).name
    lines = [f"# {markdown_text(insights.title if insights else source)}", ""]
    facts = [f"recording {detail.id}", markdown_text(source), detail.status]
    if detail.duration_s is not None:
        facts.append(clock(detail.duration_s))
    if detail.language:
        facts.append(detail.language)
    lines += [" · ".join(facts), ""]
    if detail.error:
        lines += [f"**Failed:** {markdown_text(detail.error)}", ""]
    if insights is None:
        reason = why_no_notes(detail)
        lines += [f"_No notes: {markdown_text(reason)}._", ""]
    else:
        lines += _notes(insights, linked)
    if linked and detail.transcript:
        lines += ["## Transcript", ""]
        lines += [
            f'<a id="s-{s.id}"></a>**{clock(s.start)}** '
            f"{markdown_text(spoken_by(s.speaker) + _said(s))}{_unsure(s)}  "
            for s in detail.transcript.segments
        ]
        lines.append("")
    return "\n".join(lines)


def why_no_notes(detail: RecordingDetail) -> str:
    """Why a recording has no notes: its skipped insights stage's reason."""
    skipped = [stage.error for stage in detail.stages if stage.status == StageStatus.SKIPPED]
    return skipped[0] if skipped and skipped[0] else "not generated"


def _unsure(segment: SegmentView) -> str:
    spot = weak_spot(segment)
    return f" _(unsure: {markdown_text(spot)})_" if spot else ""


def _notes(insights: InsightsView, linked: bool) -> list[str]:
    def cited(evidence: Sequence[EvidenceView]) -> str:
        times = cited_times(evidence, linked)
        return f" {times}" if times else ""

    lines = ["## Summary", ""]
    if insights.summary_claims:
        lines += [f"- {markdown_text(c.text)}{cited(c.evidence)}" for c in insights.summary_claims]
    else:
        lines.append(markdown_text(insights.summary))
    lines.append("")
    if insights.action_items:
        lines += ["## Action items", ""]
        for item in insights.action_items:
            said = ", ".join(
                part
                for part in (
                    f"owner: {item.owner}" if item.owner else "",
                    f"due: {item.due}" if item.due else "",
                )
                if part
            )
            lines.append(
                f"- {markdown_text(item.task)}"
                + (f" ({markdown_text(said)})" if said else "")
                + cited(item.evidence)
            )
        lines.append("")
    if insights.chapters:
        lines += ["## Chapters", ""]
        for chapter in insights.chapters:
            timed = [e for e in chapter.evidence if e.start is not None]
            earliest = [min(timed, key=lambda e: e.start or 0.0)] if timed else []
            first = cited_times(earliest, linked) or clock(chapter.start)
            lines.append(f"- {first} {markdown_text(chapter.title)}")
        lines.append("")
    if insights.dropped:
        lines += ["## Not kept (not found in what was said)", ""]
        lines += [
            f"- {markdown_text(d.kind)} {markdown_text(repr(d.text))}: {markdown_text(d.reason)}"
            for d in insights.dropped
        ]
        lines.append("")
    return lines


CITED_TIMES_SHOWN = 4


def cited_times(evidence: Sequence[EvidenceView], linked: bool) -> str:
    """``[01:05](#s-12), [01:31](#s-19)``, or the bare times where not ``linked``."""
    shown: dict[str, str] = {}
    for e in evidence:
        if e.start is not None:
            time = clock(e.start)
            shown.setdefault(time, f"[{time}](#s-{e.segment})" if linked else time)
    times = list(shown.values())
    more = len(times) - CITED_TIMES_SHOWN
    text = ", ".join(times[:CITED_TIMES_SHOWN]) + (f" +{more}" if more > 0 else "")
    return f"({text})" if text and not linked else text


def markdown_text(text: str) -> str:
    """Text inert in markdown and in a terminal: specials escaped, control characters
    (an escape sequence from an LLM) made spaces, on one line."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", on_one_line(str(text)))
