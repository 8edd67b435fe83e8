"""When the GPU runs out of memory: the same recording transcribed again with less of it.

A CUDA out-of-memory error is not the recording's fault, and a Prefect retry of the same
call runs out the same way. So the transcription is run again, the whole recording each
time (a transcript is made by one way of decoding from its start to its end), one step
down at each fault: half the batch size until 1 (sequential decoding), then int8 weights
at batch size 1, then the CPU at the configured batch size (host memory is not what ran
out) where ``MUMU_WHISPER_CPU_FALLBACK`` allows it; where it does not, the recording
fails in one line that names the setting. A model that runs out of memory while it
loads skips the steps that load the same model. Any other error is raised as it was.

The stage's key does not change: a fallback decodes the same configuration, and the
device and compute type were never in the key (``mumu.transcription.options``), though
int8 weights may change a word here and there. What a transcript needed is stored with it
(``transcripts.fallback``), shown by ``mumu show`` and counted by the sidecar
(``mumu_transcription_fallbacks_total``, by the step that made the transcript).

A process remembers how far down each configuration had to go: its recordings share one
GPU (a batch decodes several at once), so the next one starts there instead of running
out again; a new process (the next flow run) starts from the configured way. A model the
chain leaves is dropped from the cache, so its memory goes to the next step as soon as no
recording still decoding with it holds it; the models of the steps are loaded and kept
by the same cache (``whisper.get_model``), for the later recordings of the process.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

from mumu.errors import ConfigurationError, one_line
from mumu.transcription.options import TranscribeOptions

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

T = TypeVar("T")
SETTING = "MUMU_WHISPER_CPU_FALLBACK"
STEPS = ("smaller_batch", "int8", "cpu")
"""The steps' names, as the metric labels them."""

_ON_THE_GPU = re.compile(r"cuda|gpu|cublas|cudnn", re.IGNORECASE)
_OUT_OF_MEMORY = re.compile(r"out of memory|alloc_failed", re.IGNORECASE)
_reached: dict[TranscribeOptions, int] = {}
_reached_lock = threading.Lock()


class GpuMemoryExhausted(ConfigurationError):
    """Every step the deployment allows ran out of GPU memory: a smaller model, a GPU
    with more free memory or the CPU fallback is what helps, not a retry."""


def is_gpu_out_of_memory(error: BaseException | None) -> bool:
    """Whether an error says the GPU's memory ran out, as CTranslate2 ("CUDA failed with
    error out of memory", "CUBLAS_STATUS_ALLOC_FAILED") and PyTorch ("CUDA out of
    memory") raise it; host memory (``MemoryError``) is not the GPU's."""
    if not isinstance(error, RuntimeError):
        return False
    said = str(error)
    return bool(_ON_THE_GPU.search(said) and _OUT_OF_MEMORY.search(said))


@dataclass(frozen=True)
class Step:
    """One way of transcribing: the configured one (``name`` None) or a fallback, with
    its metric label (``name``) and what the transcript stores (``record``)."""

    options: TranscribeOptions
    name: str | None = None
    record: str | None = None

    @property
    def said(self) -> str:
        engine = self.options.engine
        where = "the CPU" if engine.device == "cpu" else engine.device
        return f"on {where} in {engine.compute_type} with batch size {self.options.batch_size}"


def chain(options: TranscribeOptions) -> list[Step]:
    """The configured way, then each fallback that uses less GPU memory than the one
    before it (the CPU step last, whether or not it is allowed)."""
    steps = [Step(options)]
    batch = options.batch_size
    while batch > 1:
        batch //= 2
        steps.append(Step(replace(options, batch_size=batch), "smaller_batch", f"batch {batch}"))
    engine = options.engine
    if engine.device == "cpu":
        return steps
    compute = engine.compute_type
    if not compute.startswith("int8") and compute != "auto":  # auto picks int8 where it can
        int8 = {"float16": "int8_float16", "bfloat16": "int8_bfloat16"}.get(compute, "int8")
        sequential = replace(options, batch_size=1, engine=replace(engine, compute_type=int8))
        steps.append(Step(sequential, "int8", int8))
    on_cpu = replace(options, engine=replace(engine, device="cpu", compute_type="int8"))
    steps.append(Step(on_cpu, "cpu", "cpu"))
    return steps


@dataclass(frozen=True)
class Transcribed(Generic[T]):
    """What the work made, and the fallback it needed (a ``Step.record``), if any."""

    value: T
    fallback: str | None


def transcribed(
    options: TranscribeOptions, work: Callable[[WhisperModel, TranscribeOptions], T]
) -> Transcribed[T]:
    """``work`` with the model of each step and the step's options, from where this
    process last got to, until one does not run out of GPU memory."""
    steps = chain(options)
    with _reached_lock:
        index = min(_reached.get(options, 0), len(steps) - 1)
    if index:
        _logger().info(
            "transcribing %s (%s step): GPU memory ran out earlier in this process",
            steps[index].said,
            steps[index].name,
        )
    while True:
        made = _attempt(steps[index], work)
        if not isinstance(made, _OutOfMemory):
            return Transcribed(made[0], steps[index].record)
        index = _step_down(steps, index, made)
        gc.collect()  # what the failed decoding left in reference cycles, the model's too


@dataclass(frozen=True)
class _OutOfMemory:
    reason: str
    loading: bool


def _attempt(
    step: Step, work: Callable[[WhisperModel, TranscribeOptions], T]
) -> tuple[T] | _OutOfMemory:
    """One step's work, or why its GPU memory ran out: returned, not raised, so that
    nothing (no traceback) holds its model once this returns."""
    from mumu.transcription import whisper

    loading = True
    try:
        model = whisper.get_model(step.options.engine)
        loading = False
        return (work(model, step.options),)
    except RuntimeError as exc:
        if not is_gpu_out_of_memory(exc):
            raise
        return _OutOfMemory(one_line(exc), loading)


def _step_down(steps: list[Step], index: int, fault: _OutOfMemory) -> int:
    """The index of the next step, logged and remembered for the process; or the one line
    that says nothing allowed is left."""
    from mumu.transcription import whisper

    failed = steps[index]
    following = index + 1
    while fault.loading and following < len(steps) and _same_model(steps[following], failed):
        following += 1  # a smaller batch does not make the model smaller
    configured = steps[0].options
    if following == len(steps):
        raise GpuMemoryExhausted(
            f"the GPU ran out of memory even {failed.said} ({fault.reason}): use a smaller "
            "model or a GPU with more free memory"
        )
    step = steps[following]
    if step.name == "cpu" and not configured.cpu_fallback:
        raise GpuMemoryExhausted(
            f"{SETTING}=false and the GPU ran out of memory even {failed.said}: use a "
            f"smaller model or a GPU with more free memory, or set {SETTING}=true"
        )
    _logger().warning(
        "GPU memory ran out %s%s (%s); %s step: transcribing again %s",
        "loading the model " if fault.loading else "",
        failed.said,
        fault.reason,
        step.name,
        step.said,
    )
    if not _same_model(step, failed):
        whisper.drop_model(failed.options.engine)
    with _reached_lock:
        _reached[configured] = max(_reached.get(configured, 0), following)
    return following


def _same_model(step: Step, other: Step) -> bool:
    return step.options.engine == other.options.engine


def step_of(record: str) -> str:
    """The step (a label of the metric) of what a transcript stores: as migration 0014
    labels it in SQL."""
    if record.startswith("batch"):
        return "smaller_batch"
    return "int8" if record.startswith("int8") else "cpu"


def described(record: str) -> str:
    """What a transcript needed, as people read it: ``transcribed on the CPU: GPU memory
    ran out``."""
    how = {
        "smaller_batch": f"transcribed with {record.replace('batch', 'batch size')}",
        "int8": f"transcribed in {record} at batch size 1",
        "cpu": "transcribed on the CPU",
    }[step_of(record)]
    return f"{how}: GPU memory ran out"


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The Prefect run's logger inside a run (its steps show in the UI), else mumu's."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("mumu.transcription")
