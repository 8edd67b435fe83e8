"""Each step of decision record 0019, on the corpus `mumu bench` builds, in one process.

    .venv/bin/python dev/experiments/decoding_steps.py dev/bench-out/corpus.json

faster-whisper's batched pipeline with VAD chunks glued (its default, timestamp tokens
on), with speech clips as they were said (mumu's), and sequential decoding with and
without conditioning on the previous text: seconds and WER for each.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from faster_whisper import BatchedInferencePipeline

from mumu.devtools.bench import word_error_rate
from mumu.settings import Settings
from mumu.transcription import whisper
from mumu.transcription.audio import decode
from mumu.transcription.speech import find_speech, speech_clips


def main(corpus_file: str) -> None:
    corpus = json.loads(Path(corpus_file).read_text())
    model = whisper.get_model(Settings().transcription.engine)
    audio = decode(Path(corpus["long"]), 6 * 3600).samples
    common = {"beam_size": 5, "word_timestamps": True}
    batched = BatchedInferencePipeline(model=model)
    runs = {
        "batched, VAD chunks glued": lambda: batched.transcribe(
            audio, batch_size=8, without_timestamps=False, vad_filter=True, **common
        ),
        "batched, speech clips": lambda: batched.transcribe(
            audio,
            batch_size=8,
            without_timestamps=False,
            clip_timestamps=speech_clips(find_speech(audio)),
            **common,
        ),
        "sequential, conditioned on previous text": lambda: model.transcribe(
            audio, vad_filter=True, **common
        ),
        "sequential, not conditioned": lambda: model.transcribe(
            audio, vad_filter=True, condition_on_previous_text=False, **common
        ),
    }
    for name, run in runs.items():
        started = time.perf_counter()
        segments, _ = run()
        text = " ".join(segment.text.strip() for segment in segments)
        wall = time.perf_counter() - started
        wer = word_error_rate(corpus["long_reference"], text)
        print(f"{name}: {wall:.1f} s, WER {wer:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
