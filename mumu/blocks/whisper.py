from __future__ import annotations

from typing import Any, Literal

from prefect.blocks.core import Block
from pydantic import Field


class WhisperEngine(Block):
    """How mumu transcribes: faster-whisper model and decoding settings.

    A field left empty is not set here: the flow run's ``MUMU_WHISPER_*`` environment
    (the work pool's, or mumu's defaults) decides it.
    """

    _block_type_name = "mumu Whisper engine"
    _block_type_slug = "mumu-whisper-engine"
    _description = "faster-whisper model, device and decoding settings for mumu."

    model: str | None = Field(
        default=None, description="faster-whisper model name or local CTranslate2 directory."
    )
    device: Literal["cpu", "cuda", "auto"] | None = None
    compute_type: str | None = None
    beam_size: int | None = Field(default=None, ge=1)
    batch_size: int | None = Field(default=None, ge=1)
    language: str | None = None
    vad: bool | None = None
    word_timestamps: bool | None = None
    vocabulary: str | None = Field(
        default=None, description="Names and terms the recordings use, e.g. 'ComfyUI, Prefect'."
    )
    diarize: bool | None = Field(
        default=None, description="Tell speakers apart by voice in a recording heard as one mix."
    )
    cpu_fallback: bool | None = Field(
        default=None,
        description="Transcribe on the CPU when the GPU runs out of memory even at batch "
        "size 1 in int8; false fails the recording instead.",
    )

    def settings_update(self) -> dict[str, Any]:
        values = {
            "whisper_model": self.model,
            "whisper_device": self.device,
            "whisper_compute_type": self.compute_type,
            "whisper_beam_size": self.beam_size,
            "whisper_batch_size": self.batch_size,
            "whisper_language": self.language,
            "whisper_vad": self.vad,
            "whisper_word_timestamps": self.word_timestamps,
            "whisper_vocabulary": self.vocabulary,
            "diarize": self.diarize,
            "whisper_cpu_fallback": self.cpu_fallback,
        }
        return {name: value for name, value in values.items() if value is not None}
