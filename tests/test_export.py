import re

from mumu.export import render, timestamp

DETAIL = {
    "transcript": {
        "segments": [
            {"start": 0.0, "end": 2.5, "text": "Hello there."},
            {"start": 3661.042, "end": 3662.5, "text": "An hour --> later\n\nstill here"},
        ]
    }
}


def test_timestamps() -> None:
    assert timestamp(0, ",") == "00:00:00,000"
    assert timestamp(3661.042, ".") == "01:01:01.042"


def test_srt_is_numbered_cues_with_comma_timestamps() -> None:
    srt = render(DETAIL, "srt")
    blocks = srt.strip().split("\n\n")
    assert len(blocks) == 2
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        assert lines[0] == str(number)
        assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", lines[1])
        assert lines[2:]
    assert "01:01:01,042 --> 01:01:02,500" in srt


def test_vtt_has_its_header_and_no_arrow_inside_cue_text() -> None:
    vtt = render(DETAIL, "vtt")
    assert vtt.startswith("WEBVTT\n\n")
    cues = vtt.split("\n\n")[1:]
    assert len([c for c in cues if c.strip()]) == 2
    for cue in filter(str.strip, cues):
        timing, *text = cue.strip().split("\n")
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", timing)
        assert text and all("-->" not in line for line in text)


def test_txt_is_one_segment_a_line() -> None:
    assert render(DETAIL, "txt").splitlines()[0] == "Hello there."


def test_no_transcript_exports_empty() -> None:
    assert render({"transcript": None}, "srt") == ""
