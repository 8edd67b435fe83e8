"""Text from recordings, LLMs, file names and servers, made safe to show.

A terminal obeys control characters (an escape sequence can clear the screen or retitle
the window); bidirectional overrides and isolates reorder what follows them, so
``invoice\u202egnp.exe`` reads as ``invoiceexe.png``; zero-width characters hide that
two names differ. Joiners stay: emoji and several scripts are spelled with them.
"""

from __future__ import annotations

import re

HIDING = "\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_UNSAFE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{HIDING}]")
_UNSAFE_ON_ONE_LINE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{HIDING}]")
_HIDING = re.compile(f"[{HIDING}]")


def escaped(text: str) -> str:
    """For a terminal: each such character written as its escape (``\\x1b``,
    ``\\u202e``), so a person sees that it is there; tabs and line breaks kept."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return _UNSAFE.sub(escape, text)


def on_one_line(text: str) -> str:
    """For a page, a table cell or markdown: such characters and line breaks become
    spaces, and runs of spaces one."""
    return " ".join(_UNSAFE_ON_ONE_LINE.sub(" ", text).split())


def unhidden(text: str) -> str:
    """For a file of text (a transcript export): without the characters that hide or
    reorder text; line breaks and the rest as they were."""
    return _HIDING.sub("", text)


def json_escaped(encoded: str) -> str:
    """JSON text with those characters written as ``\\uXXXX`` escapes: the same
    strings to a parser, nothing hidden or reordered on a terminal."""
    return _HIDING.sub(lambda match: f"\\u{ord(match.group()):04x}", encoded)
