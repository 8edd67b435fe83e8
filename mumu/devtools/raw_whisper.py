"""Raw faster-whisper as a user scripts it: load the model, transcribe each file, exit.

The benchmark's modes ``batch`` and ``startup`` time this whole process against a whole
``mumu run``, since start-up (interpreter, imports, model load) is part of what a user
pays. It is run as a file with ``python -P`` rather than as ``-m mumu.devtools...``, so
that it imports nothing of mumu: its start-up is faster-whisper's own. The model and
decoding options come resolved from mumu's settings in a JSON spec (``bench_process.
raw_spec``), so both contenders decode alike. Prints ``{file: text}`` as one JSON line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def transcribe_all(spec: dict[str, Any]) -> dict[str, str]:
    """Each file's text, decoded as ``spec`` says: batched when mumu batches."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    model = WhisperModel(
        spec["model"],
        device=spec["device"],
        compute_type=spec["compute_type"],
        cpu_threads=spec["cpu_threads"],
    )
    batched = BatchedInferencePipeline(model=model) if spec["batch_size"] > 1 else None
    texts: dict[str, str] = {}
    for file in spec["files"]:
        if batched is not None:
            segments, _ = batched.transcribe(file, batch_size=spec["batch_size"], **spec["options"])
        else:
            segments, _ = model.transcribe(file, **spec["options"])
        texts[file] = " ".join(segment.text.strip() for segment in segments)
    return texts


if __name__ == "__main__":
    print(json.dumps(transcribe_all(json.loads(Path(sys.argv[1]).read_text()))))
