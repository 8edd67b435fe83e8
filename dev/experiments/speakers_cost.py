"""What telling speakers apart costs, against the same transcription without it, in one
process (decision record 0021).

    .venv/bin/python dev/experiments/speakers_cost.py [ROUNDS]

Audio: the shared clips of five speakers one after another (Kennedy, the ComfyUI
presenter, the licence reader, each stereo channel's speaker), a second of silence
between them, ROUNDS times (default 3). Prints seconds with and without MUMU_DIARIZE,
their ratio, and how many speakers were found against how many there are; then the
stereo file transcribed per channel against its mono mix.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from mumu.settings import Settings
from mumu.stages.transcribe import transcribe
from mumu.transcription.audio import DecodedAudio, decode

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GAP = np.zeros(16_000, dtype=np.float32)


def clips() -> list[np.ndarray]:
    stereo = decode(DATA / "stereo_diarization.wav", 60)
    return [
        decode(DATA / "jfk.flac", 60).samples,
        decode(DATA / "hotwords.mp3", 60).samples,
        decode(DATA / "multilingual.mp3", 60).samples[: 16_000 * 25],
        stereo.read(0, int(2.6 * 16_000), 0),
        stereo.read(int(2.6 * 16_000), stereo.frames, 0),
        stereo.read(int(0.3 * 16_000), int(2.1 * 16_000), 1),
    ]


def timed(audio: DecodedAudio, settings: Settings) -> tuple[float, int]:
    started = time.perf_counter()
    result = transcribe(audio, settings)
    voices = {segment.voice for segment in result.segments if segment.voice is not None}
    return time.perf_counter() - started, len(voices)


def main(rounds: int) -> None:
    parts = clips()
    speech = np.concatenate([part for _ in range(rounds) for clip in parts for part in (clip, GAP)])
    audio = DecodedAudio.from_samples(speech)
    settings = Settings()
    transcribe(DecodedAudio.from_samples(parts[0]), settings.model_copy(update={"diarize": True}))
    plain, _ = timed(audio, settings)
    told, found = timed(audio, settings.model_copy(update={"diarize": True}))
    print(f"{audio.duration_s:.0f} s of speech, 5 speakers; found {found}")
    print(f"without: {plain:.1f} s; with MUMU_DIARIZE: {told:.1f} s; ratio {told / plain:.2f}")
    stereo = decode(DATA / "stereo_diarization.wav", 60)
    mixed = DecodedAudio.from_samples(stereo.samples)
    per_channel, _ = timed(stereo, settings)
    as_mix, _ = timed(mixed, settings)
    print(f"stereo file per channel: {per_channel:.2f} s; as one mix: {as_mix:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
