"""Transcript exports: plain text, SubRip (SRT), WebVTT and JSON."""

from __future__ import annotations

import json
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
