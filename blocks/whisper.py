from __future__ import annotations

from typing import Any, Literal

from prefect.blocks.core import Block
from pydantic import Field


class WhisperEngine(Block):
    """How mumu transcribes: faster-whisper model and decoding settings."""

    _block_type_name = "mumu Whisper engine"
    _block_type_slug = "mumu-whisper-engine"
    _description = "faster-whisper model, device and decoding settings for mumu."

    model: str = Field(
        default="tiny.en", description="faster-whisper model name or local CTranslate2 directory."
    )
    device: Literal["cpu", "cuda", "auto"] = "auto"
    compute_type: str = "default"
    beam_size: int = Field(default=5, ge=1)
    batch_size: int = Field(default=8, ge=1)
    language: str | None = None
    vad: bool = True
    word_timestamps: bool = True

    def settings_update(self) -> dict[str, Any]:
        return {
            "whisper_model": self.model,
            "whisper_device": self.device,
            "whisper_compute_type": self.compute_type,
            "whisper_beam_size": self.beam_size,
            "whisper_batch_size": self.batch_size,
            "whisper_language": self.language,
            "whisper_vad": self.vad,
            "whisper_word_timestamps": self.word_timestamps,
        }
