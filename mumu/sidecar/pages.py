"""A recording as a page a person reads: what a notice's or an artifact's link opens.

Rendered on the server with Jinja2, every value escaped, no script: title, summary,
action items with owner and due, chapters, the claims not kept, and the transcript
with speakers, languages and what Whisper was unsure of; each cited time links to its
line. The Content-Security-Policy allows nothing but the page's own style (by hash), so
text from a recording or an LLM cannot load, run or send anything, and the page sends
no referrer, so a signed link is not handed on.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from mumu.db.views import EvidenceView, InsightsView, RecordingDetail, SegmentView
from mumu.library.export import CITED_TIMES_SHOWN, FORMATS, UNCLEAR, clock, weak_spot, why_no_notes
from mumu.text import on_one_line

TEMPLATES = Path(__file__).parent / "templates"
CSS = (TEMPLATES / "page.css").read_text(encoding="utf-8")
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
}

templates = Jinja2Templates(directory=TEMPLATES)


def recording_page(
    request: Request, detail: RecordingDetail, exports: list[tuple[str, str]]
) -> Response:
    """``exports``: the name and address of each plain-text form of the recording."""
    context = page_context(detail) | {"exports": exports, "css": CSS}
    return templates.TemplateResponse(request, "recording.html", context, headers=HEADERS)


def page_context(detail: RecordingDetail) -> dict[str, Any]:
    insights = detail.insights
    source = visible(Path(detail.source).name)
    facts = [f"recording {detail.id}", source, detail.status]
    if detail.duration_s is not None:
        facts.append(clock(detail.duration_s))
    transcript = detail.transcript
    several = transcript is not None and len(transcript.languages) > 1
    lines = [_line(segment, several) for segment in transcript.segments] if transcript else []
    return {
        "title": visible(insights.title) if insights else source,
        "facts": facts,
        "error": visible(detail.error) if detail.error else None,
        "speakers": [visible(s.name) for s in transcript.speakers] if transcript else [],
        "languages": transcript.languages if transcript else [],
        "notes": _notes(insights) if insights else None,
        "no_notes": visible(why_no_notes(detail)),
        "lines": lines,
        "to_check": sum(1 for line in lines if line["doubt"]),
    }


def visible(text: str | None) -> str:
    """Text as it was said, on one line, without what would hide or reorder it."""
    return on_one_line(text or "")


def export_paths(recording_id: int) -> list[tuple[str, str]]:
    page = f"/recordings/{recording_id}"
    return [
        (fmt, f"{page}/notes.md" if fmt == "notes" else f"{page}/transcript.{fmt}")
        for fmt in FORMATS
    ]


def _notes(insights: InsightsView) -> dict[str, Any]:
    return {
        "summary": visible(insights.summary),
        "claims": [
            {"text": visible(c.text), "times": _times(c.evidence)} for c in insights.summary_claims
        ],
        "actions": [
            {
                "task": visible(item.task),
                "owner": visible(item.owner) or None,
                "due": visible(item.due) or None,
                "times": _times(item.evidence),
            }
            for item in insights.action_items
        ],
        "chapters": [
            {
                "title": visible(chapter.title),
                "times": _times(sorted(chapter.evidence, key=lambda e: e.start or 0.0)[:1]),
                "time": clock(chapter.start),
            }
            for chapter in insights.chapters
        ],
        "dropped": [
            {"kind": visible(d.kind), "text": visible(d.text), "reason": visible(d.reason)}
            for d in insights.dropped
        ],
    }


def _times(evidence: Sequence[EvidenceView]) -> list[tuple[str, str]]:
    """Each cited moment once, as its time and its line's anchor."""
    shown: dict[str, str] = {}
    for e in evidence:
        if e.start is not None:
            shown.setdefault(clock(e.start), f"s-{e.segment}")
    return list(shown.items())[:CITED_TIMES_SHOWN]


def _line(segment: SegmentView, languages_shown: bool) -> dict[str, Any]:
    """A transcript line; its language only where the recording has several."""
    return {
        "id": segment.id,
        "time": clock(segment.start),
        "speaker": visible(segment.speaker) or None,
        "text": UNCLEAR if segment.flag else visible(segment.text),
        "unclear": visible(segment.flag) or None,
        "language": segment.language if languages_shown else None,
        "doubt": visible(weak_spot(segment)) or None,
    }
