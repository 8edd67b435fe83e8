"""The transcription group of mumu's configuration: the engine and the decoding options.

``TranscribeOptions`` is what decides a transcript. It is built once, where the
configuration is resolved (``Settings.transcription``), and handed whole to the stage,
the gate's re-decode and the benchmark: ``decode_kwargs()`` is faster-whisper's call,
``key`` the stage's key, and ``engine`` what loads the model. Each option is declared
once, with its label in the key; the engine's own fields (device, compute type,
threads, where models are kept) change how fast a transcript comes, not what it says,
so they are not in the key; nor does ``cpu_fallback``, whether the CPU may take over when
the GPU runs out of memory (``mumu.transcription.fallback``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

VOICES_VERSION = 3  # mumu.transcription.voices: its encoder, threshold and founding length
DECODING_VERSION = 5
"""Of the code around faster-whisper; stored transcripts of an older one are redone (4:
unclear speech kept with its doubt, paused sentences cut, a language per utterance; 5: a
speaker's channel decoded at its level in the mix)."""


@dataclass(frozen=True)
class EngineSpec:
    """What loads a Whisper model: one loaded model per spec per process."""

    model: str
    device: str
    compute_type: str
    cpu_threads: int
    download_root: str


def _shown(value: object) -> str:
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _digest(text: object) -> str:
    """Twelve hex digits of the vocabulary's sha256: the key stays short whatever its length."""
    return hashlib.sha256(str(text).encode()).hexdigest()[:12]


def _voices(_: object) -> str:
    return str(VOICES_VERSION)


def _in_key(
    label: str, render: Callable[[object], str] = _shown, optional: bool = False
) -> dict[str, Any]:
    """A field's place in the key, ``label=render(value)``; an optional one only when set."""
    return {"key": label, "render": render, "optional": optional}


@dataclass(frozen=True)
class TranscribeOptions:
    engine: EngineSpec
    beam_size: int = field(default=5, metadata=_in_key("beam"))
    batch_size: int = field(default=1, metadata=_in_key("batch"))
    language: str | None = field(default=None, metadata=_in_key("lang"))
    vad: bool = field(default=True, metadata=_in_key("vad"))
    word_timestamps: bool = field(default=True, metadata=_in_key("words"))
    vocabulary: str | None = field(
        default=None, metadata=_in_key("vocabulary", _digest, optional=True)
    )
    diarize: bool = field(default=False, metadata=_in_key("voices", _voices, optional=True))
    cpu_fallback: bool = True

    @property
    def model(self) -> str:
        return self.engine.model

    def decode_kwargs(self) -> dict[str, Any]:
        """faster-whisper's arguments for these options, batched or not: spelled here
        only, for the stage, the gate's re-decode and the benchmark's raw baseline."""
        return {
            "language": self.language,
            "beam_size": self.beam_size,
            "word_timestamps": self.word_timestamps,
            "hotwords": self.vocabulary,
        }

    @property
    def key(self) -> str:
        """``model|beam=5|batch=1|lang=auto|vad=1|words=1|decoding=5``, then the optional
        options that are set: the format stored transcripts carry, so it never changes
        for options that did not."""
        parts: dict[bool, list[str]] = {True: [], False: []}
        for option in fields(self):
            if "key" not in option.metadata:
                continue
            value = getattr(self, option.name)
            if option.metadata["optional"] and not value:
                continue
            parts[option.metadata["optional"]].append(
                f"{option.metadata['key']}={option.metadata['render'](value)}"
            )
        return "|".join([self.model, *parts[False], f"decoding={DECODING_VERSION}", *parts[True]])


def resolve_device(device: str) -> str:
    if device == "auto":
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device
