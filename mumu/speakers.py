"""What speakers are called: default names, names people give, and a line's prefix.

Apart from ``mumu.transcription.channels`` (which needs NumPy) so that commands that only show
transcripts load nothing they do not use.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

from mumu.errors import BadInput


def default_name(channel: int | None, voice: int | None) -> str | None:
    """``channel N`` (a speaker per channel) or ``speaker N`` (told apart by voice),
    numbered from 1 as people count; None when nobody told speakers apart."""
    if channel is not None:
        return f"channel {channel}"
    return f"speaker {voice}" if voice is not None else None


def spoken_by(speaker: str | None) -> str:
    """The prefix of a line someone said: ``Agent: ``, or nothing when nobody was told apart."""
    return f"{speaker}: " if speaker else ""


def speaker_name(
    channel: int | None, voice: int | None, names: Mapping[str, str] | None
) -> str | None:
    """What a segment's speaker is called: the name given to its default name, or that.

    Names are kept by default name, not by number, so a name given to channel 1 never
    lands on speaker 1 of the same recording transcribed another way."""
    default = default_name(channel, voice)
    return (names or {}).get(default) or default if default else None


MAX_NAME_LENGTH = 80
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _shown(character: str) -> str:
    """Control characters and line breaks become spaces; direction overrides, which can
    make a name read as another, are dropped; joiners (emoji) stay."""
    if character in BIDI_CONTROLS:
        return ""
    return " " if unicodedata.category(character) in {"Cc", "Zl", "Zp"} else character


def parse_names(assignments: Sequence[str]) -> dict[int, str]:
    """``1=Agent 2="Customer"`` as typed: speaker number to name, the name on one line
    without control characters; ``1=`` gives speaker 1 its default name back."""
    names: dict[int, str] = {}
    for assignment in assignments:
        number, equals, name = assignment.partition("=")
        if not equals or not number.strip().isdecimal() or int(number) < 1:
            raise BadInput(
                f"{assignment!r} is not NUMBER=NAME: give a speaker number from 1 and a "
                'name, as in 1="Agent"'
            )
        clean = " ".join("".join(_shown(c) for c in name).split())
        if len(clean) > MAX_NAME_LENGTH:
            raise BadInput(
                f"the name for speaker {int(number)} is over {MAX_NAME_LENGTH} characters"
            )
        names[int(number)] = clean
    return names
