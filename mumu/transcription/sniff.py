"""Recognise audio containers by their first bytes, before anything decodes them."""

from __future__ import annotations

SNIFF_BYTES = 16


def looks_like_audio(head: bytes) -> bool:
    """True for the containers faster-whisper's decoder is used on in practice."""
    return (
        (head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "))
        or head[:4] in (b"fLaC", b"OggS", b"\x1aE\xdf\xa3", b"#!AM", b".snd")
        or head[:3] == b"ID3"
        or head[4:8] == b"ftyp"
        or (head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"))
        or head[:4] == b"\x30\x26\xb2\x75"
        or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0)
    )
