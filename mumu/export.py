"""Transcript exports: plain text, SubRip (SRT), WebVTT and JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from mumu.channels import spoken_by
from mumu.db.models import StageStatus
from mumu.db.views import RecordingDetail, SegmentView

FORMATS = ("txt", "srt", "vtt", "json")


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
        return json.dumps(asdict(detail), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _said(segment: SegmentView) -> str:
    """What a reader gets: the text, or [unclear] where the gate did not trust it."""
    return UNCLEAR if segment.flag else segment.text


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


def notes_markdown(detail: RecordingDetail) -> str:
    """A recording's notes for people: title, summary, action items, chapters, or why not.

    Everything that came from the recording or the LLM is escaped, so a title cannot
    turn into a link or an image where the markdown is rendered (the Prefect UI).
    """
    insights = detail.insights
    source = Path(detail.source).name
    lines = [f"# {_escape(insights.title if insights else source)}", ""]
    facts = [f"recording {detail.id}", _escape(source), detail.status]
    if detail.duration_s is not None:
        facts.append(clock(detail.duration_s))
    if detail.language:
        facts.append(detail.language)
    lines += [" · ".join(facts), ""]
    if detail.error:
        lines += [f"**Failed:** {_escape(detail.error)}", ""]
    if insights is None:
        skipped = [stage.error for stage in detail.stages if stage.status == StageStatus.SKIPPED]
        reason = skipped[0] if skipped and skipped[0] else "not generated"
        lines += [f"_No notes: {_escape(reason)}._", ""]
        return "\n".join(lines)
    lines += [_escape(insights.summary), ""]
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
            lines.append(f"- {_escape(item.task)}" + (f" ({_escape(said)})" if said else ""))
        lines.append("")
    if insights.chapters:
        lines += ["## Chapters", ""]
        lines += [f"- {clock(c.start)} {_escape(c.title)}" for c in insights.chapters]
        lines.append("")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
