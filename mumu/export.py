"""Transcript exports: plain text, SubRip (SRT), WebVTT and JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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


def to_txt(segments: list[dict[str, Any]]) -> str:
    return "".join(f"{segment['text']}\n" for segment in segments)


def to_srt(segments: list[dict[str, Any]]) -> str:
    blocks = [
        f"{index}\n{timestamp(s['start'], ',')} --> {timestamp(s['end'], ',')}\n{_cue(s['text'])}\n"
        for index, s in enumerate(segments, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(segments: list[dict[str, Any]]) -> str:
    cues = [
        f"{timestamp(s['start'], '.')} --> {timestamp(s['end'], '.')}\n{_cue(s['text'])}\n"
        for s in segments
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


def render(detail: dict[str, Any], fmt: str) -> str:
    segments = (detail.get("transcript") or {}).get("segments", [])
    if fmt == "txt":
        return to_txt(segments)
    if fmt == "srt":
        return to_srt(segments)
    if fmt == "vtt":
        return to_vtt(segments)
    if fmt == "json":
        return json.dumps(detail, indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _cue(text: str) -> str:
    """Cue text may not contain a blank line (it would end the cue) or '-->'."""
    lines = [line.strip() for line in text.replace("-->", "->").splitlines() if line.strip()]
    return "\n".join(lines) or "..."


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def notes_markdown(detail: dict[str, Any]) -> str:
    """A recording's notes for people: title, summary, action items, chapters, or why not.

    Everything that came from the recording or the LLM is escaped, so a title cannot
    turn into a link or an image where the markdown is rendered (the Prefect UI).
    """
    insights = detail.get("insights")
    source = Path(detail["source"]).name if detail.get("source") else "recording"
    title = insights["title"] if insights else source
    lines = [f"# {_escape(title)}", ""]
    duration = detail.get("duration_s")
    facts = [f"recording {detail['id']}", _escape(source), str(detail["status"])]
    if duration is not None:
        facts.append(clock(duration))
    if detail.get("language"):
        facts.append(str(detail["language"]))
    lines += [" · ".join(facts), ""]
    if detail.get("error"):
        lines += [f"**Failed:** {_escape(detail['error'])}", ""]
    if insights is None:
        skipped = [s for s in detail.get("stages", []) if s["status"] == "skipped"]
        reason = skipped[0]["error"] if skipped and skipped[0]["error"] else "not generated"
        lines += [f"_No notes: {_escape(reason)}._", ""]
        return "\n".join(lines)
    lines += [_escape(insights["summary"]), ""]
    if insights["action_items"]:
        lines += ["## Action items", ""]
        for item in insights["action_items"]:
            extra = [f"owner: {item['owner']}" if item.get("owner") else ""]
            extra.append(f"due: {item['due']}" if item.get("due") else "")
            said = ", ".join(part for part in extra if part)
            lines.append(f"- {_escape(item['task'])}" + (f" ({_escape(said)})" if said else ""))
        lines.append("")
    if insights["chapters"]:
        lines += ["## Chapters", ""]
        lines += [
            f"- {clock(chapter['start'])} {_escape(chapter['title'])}"
            for chapter in insights["chapters"]
        ]
        lines.append("")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
