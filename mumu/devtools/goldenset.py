"""A golden set that looks like what users bring, built on the machine that scores it.

``python -m mumu.devtools.goldenset FOLDER [--long-minutes 10]`` speaks each recording with
espeak-ng and mixes it with sox (Debian's ``espeak-ng`` and ``sox``), and writes the
reference text beside it (``NAME.txt``), the shape ``mumu eval --set`` reads: English
recordings in ``FOLDER/english`` (for the default ``tiny.en``), other languages and a
file that switches between four in ``FOLDER/languages`` (for a multilingual model). The
audio stays out of git: the script is the set. Voices differ by espeak variant, rate and
pitch; the speech is synthetic, so its figures are for comparing mumu with raw
faster-whisper and one change with another, not for quoting as real-world accuracy.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RATE = 16_000
MUSIC_S = 6.0
SILENCE_S = 20.0
ENGLISH = "english"
LANGUAGES = "languages"


@dataclass(frozen=True)
class Line:
    """One thing said: the words, the espeak voice, and the pause after it."""

    text: str
    voice: str = "en"
    pause_s: float = 0.8
    speed: int = 155
    pitch: int = 50
    speaker: str | None = None


@dataclass(frozen=True)
class Speaker:
    name: str
    voice: str
    pitch: int
    speed: int = 155

    def says(self, text: str, pause_s: float = 0.8) -> Line:
        return Line(text, self.voice, pause_s, self.speed, self.pitch, self.name)


ANN = Speaker("Ann", "en+f2", pitch=60)
BOB = Speaker("Bob", "en-us+m3", pitch=35, speed=145)
CAROL = Speaker("Carol", "en-gb+f4", pitch=70, speed=165)
DAN = Speaker("Dan", "en-us+m7", pitch=55, speed=165)  # a man with Bob's accent
ERIN = Speaker("Erin", "en-us+f3", pitch=45, speed=150)  # a woman with Bob's and Dan's accent

STANDUP = [
    ANN.says("Good morning everyone, let us start the weekly sync."),
    ANN.says("The new billing page shipped on Monday and the error rate is down."),
    BOB.says("The mobile release is still blocked by the app store review."),
    ANN.says("Bob, please also update the documentation before Friday."),
    BOB.says("Okay, I will update the documentation by Friday."),
    CAROL.says("The budget for the offsite was approved yesterday."),
    CAROL.says("We still need a venue, so I will look at three options."),
    ANN.says("Great, let us meet again next Tuesday at ten."),
]
CALL_AGENT = [
    "Thank you for calling, this is Dana from support, how can I help?",
    "I see the order, it was shipped to the old address.",
    "I will send a new package today and you will get it on Thursday.",
]
CALL_CUSTOMER = [
    "Hi, my order number four two seven never arrived.",
    "Yes, I moved last month and forgot to change it.",
    "Thank you, that is perfect.",
]
PASSAGES = {
    "de": "Die Entwicklung ist fast fertig, aber wir müssen die Tests noch einmal prüfen.",
    "fr": "Pierre doit envoyer le rapport avant jeudi, et nous parlerons du budget lundi.",
    "es": "El equipo de ventas presentará los resultados del trimestre el lunes por la mañana.",
}
SWITCHING = [
    Line("We agreed to move the launch to the second week of March.", pause_s=1.2),
    Line(PASSAGES["de"], voice="de", pause_s=1.2),
    Line(PASSAGES["fr"], voice="fr", pause_s=1.2),
    Line(PASSAGES["es"], voice="es", pause_s=1.2),
]
TWO_MEN = [
    BOB.says("We need to finish the report by Friday."),
    DAN.says("I can write the summary section tonight."),
    BOB.says("Good, then I will check the numbers tomorrow."),
    DAN.says("Send me the draft when the charts are ready."),
    BOB.says("Sure, I will send it before lunch."),
    DAN.says("Perfect, let us talk again on Thursday."),
]
ROUND_TABLE = [
    BOB.says("Let us go round the table quickly.", pause_s=0.5),
    ERIN.says("The data import finished last night without errors.", pause_s=0.5),
    DAN.says("Good, I will start the report this morning.", pause_s=0.5),
    CAROL.says("The customers asked for a second training session.", pause_s=0.5),
    ERIN.says("I can run it next Wednesday.", pause_s=0.5),
    BOB.says("Then Carol books the room and Erin sends the invitations.", pause_s=0.5),
    DAN.says("Should the sales team join as well?", pause_s=0.5),
    CAROL.says("Yes, they asked for it in the last meeting.", pause_s=0.5),
    BOB.says("Fine, that is everything for today.", pause_s=0.5),
]
JARGON = [
    ANN.says("Priya moved the Kubernetes cluster to the new Postgres replica on Friday."),
    BOB.says("Bob wants the ComfyUI workflow and the Prefect deployment reviewed by Kenji."),
]
LONG_POOL = [line.text for line in STANDUP] + [
    "The customer survey came back with mostly positive answers.",
    "We should hire two more engineers before the summer.",
    "The server costs went up because of the new analytics jobs.",
    "Marketing wants a short video for the product page.",
    "The security review found two small issues in the login flow.",
    "Let us move the retrospective to Thursday afternoon.",
    "The design team finished the new onboarding screens.",
    "Support tickets dropped by a third after the last release.",
]


def build(folder: Path, long_minutes: float = 10.0) -> list[Path]:
    """Every recording of the set under ``folder``, each with its ``.txt``; their paths."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed: apt-get install espeak-ng sox")
    english, languages = folder / ENGLISH, folder / LANGUAGES
    english.mkdir(parents=True, exist_ok=True)
    languages.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        made = [
            _meeting(english, work),
            _call(english, work),
            _say(english / "names-and-jargon.wav", JARGON, work),
            _say(english / "two-men.wav", TWO_MEN, work),
            _round_table(english, work),
            *(
                _say(languages / f"{lang}.wav", [Line(text, voice=lang)], work)
                for lang, text in PASSAGES.items()
            ),
            _say(languages / "switching.wav", SWITCHING, work),
        ]
        if long_minutes > 0:
            made.append(_long(english, work, long_minutes))
    return made


def _meeting(folder: Path, work: Path) -> Path:
    """Three voices over brown noise, a music-like passage and 20 s of silence."""
    speech, first_turns = _speak(STANDUP[:4], work, "m1")
    rest, later_turns = _speak(STANDUP[4:], work, "m2")
    music = work / "music.wav"
    _sox("-n", "-r", str(RATE), "-c", "1", music, "synth", f"{MUSIC_S}", "pluck", "C4",
         "pluck", "E4", "pluck", "G4", "gain", "-12")  # fmt: skip
    silence = work / "silence.wav"
    _sox("-n", "-r", str(RATE), "-c", "1", silence, "trim", "0", f"{SILENCE_S}")
    joined = work / "joined.wav"
    _sox(speech, music, silence, rest, joined)
    noise = work / "noise.wav"
    seconds = _seconds(joined)
    _sox(
        "-n", "-r", str(RATE), "-c", "1", noise, "synth", f"{seconds}", "brownnoise", "vol", "0.08"
    )
    out = folder / "meeting-noisy.wav"
    _sox("-m", joined, noise, out)
    _reference(out, [line.text for line in STANDUP])
    later = _seconds(speech) + MUSIC_S + SILENCE_S
    turns = first_turns + [
        (round(start + later, 3), round(end + later, 3), who) for start, end, who in later_turns
    ]
    _speakers(out, turns)
    return out


def _round_table(folder: Path, work: Path) -> Path:
    """Four voices taking quick turns (half-second pauses) in a room's hum; three of them
    of one accent, two of them men."""
    speech, turns = _speak(ROUND_TABLE, work, "r")
    noise = work / "hum.wav"
    _sox("-n", "-r", str(RATE), "-c", "1", noise, "synth", f"{_seconds(speech)}", "pinknoise",
         "vol", "0.03")  # fmt: skip
    out = folder / "four-voices.wav"
    _sox("-m", speech, noise, out)
    _reference(out, [line.text for line in ROUND_TABLE])
    _speakers(out, turns)
    return out


def _call(folder: Path, work: Path) -> Path:
    """A support call, one speaker per channel, each silent while the other talks."""
    agent: list[Path] = []
    customer: list[Path] = []
    said: list[str] = []
    for turn, (asks, answers) in enumerate(zip(CALL_AGENT, CALL_CUSTOMER, strict=True)):
        for text, own, other, speaker in (
            (asks, agent, customer, ANN),
            (answers, customer, agent, BOB),
        ):
            clip, _ = _speak([speaker.says(text)], work, f"c{turn}{len(own)}{len(other)}")
            own.append(clip)
            quiet = work / f"q{turn}{len(own)}{len(other)}.wav"
            _sox(clip, quiet, "vol", "0")
            other.append(quiet)
            said.append(text)
    left, right = work / "left.wav", work / "right.wav"
    _sox(*agent, left)
    _sox(*customer, right)
    out = folder / "call-stereo.wav"
    _sox("-M", left, right, out)
    _reference(out, said)
    return out


def _long(folder: Path, work: Path, minutes: float) -> Path:
    chosen = random.Random(24)  # noqa: S311 - a fixed, repeatable set, not a secret
    lines: list[Line] = []
    voices = [ANN, BOB, CAROL]
    seconds = 0.0
    while seconds < minutes * 60:
        text = chosen.choice(LONG_POOL)
        lines.append(chosen.choice(voices).says(text, pause_s=chosen.uniform(0.5, 2.0)))
        seconds += len(text) / 14 + lines[-1].pause_s  # about 14 characters a second
    return _say(folder / f"long-{minutes:g}min.wav", lines, work)


def _say(out: Path, lines: Sequence[Line], work: Path) -> Path:
    clip, turns = _speak(lines, work, out.stem)
    shutil.copy(clip, out)
    _reference(out, [line.text for line in lines])
    if len({who for _, _, who in turns}) > 1:
        _speakers(out, turns)
    return out


Turn = tuple[float, float, str]


def _speak(lines: Sequence[Line], work: Path, name: str) -> tuple[Path, list[Turn]]:
    """The lines spoken one after another, and who spoke when (lines with a speaker)."""
    parts = []
    turns: list[Turn] = []
    at = 0.0
    for index, line in enumerate(lines):
        raw = work / f"{name}-{index}-raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", line.voice, "-s", str(line.speed), "-p", str(line.pitch),
             "-w", str(raw), line.text],
            check=True, capture_output=True,
        )  # fmt: skip
        padded = work / f"{name}-{index}.wav"
        _sox(raw, "-r", str(RATE), "-c", "1", padded, "pad", "0", f"{line.pause_s}")
        parts.append(padded)
        spoken = _seconds(padded)
        if line.speaker:
            turns.append((round(at, 3), round(at + spoken - line.pause_s, 3), line.speaker))
        at += spoken
    joined = work / f"{name}.wav"
    _sox(*parts, joined) if len(parts) > 1 else shutil.copy(parts[0], joined)
    return joined, turns


def _seconds(audio: Path) -> float:
    with wave.open(str(audio)) as read:
        return float(read.getnframes() / read.getframerate())


def _speakers(audio: Path, turns: Sequence[Turn]) -> None:
    """Who spoke when, beside the audio: ``NAME.speakers.json``, [start, end, name]."""
    audio.with_suffix(".speakers.json").write_text(json.dumps([list(t) for t in turns]) + "\n")


def _sox(*arguments: object) -> None:
    """sox, repeatable (``-R``: its noise is the same noise every time)."""
    subprocess.run(["sox", "-R", *(str(a) for a in arguments)], check=True, capture_output=True)


def _reference(audio: Path, said: Sequence[str]) -> None:
    audio.with_suffix(".txt").write_text(" ".join(said) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    options = parser.parse_args()
    made = build(options.folder, options.long_minutes)
    print(json.dumps([str(path) for path in made], indent=1))


if __name__ == "__main__":
    main()
