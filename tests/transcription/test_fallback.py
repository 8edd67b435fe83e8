"""GPU memory faults survived: a smaller batch, then int8, then the CPU where allowed.

There is no GPU here: a model whose engine says cuda is faked, and its memory runs out
where a test says. The fast tests fake the model too; the slow ones decode with the real
tiny.en on the CPU behind a CTranslate2 model that raises CUDA's out-of-memory error.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import Engine, text

from mumu.errors import ConfigurationError, one_line
from mumu.settings import Settings
from mumu.transcription import fallback, whisper
from mumu.transcription.fallback import (
    GpuMemoryExhausted,
    chain,
    described,
    is_gpu_out_of_memory,
    step_of,
    transcribed,
)
from mumu.transcription.options import EngineSpec, TranscribeOptions
from tests.conftest import DATA_DIR

OUT_OF_MEMORY = "CUDA failed with error out of memory"


def on_gpu(batch_size: int = 8, cpu_fallback: bool = True) -> TranscribeOptions:
    settings = Settings(
        whisper_device="cuda", whisper_batch_size=batch_size, whisper_cpu_fallback=cpu_fallback
    )
    return settings.transcription


@dataclass(frozen=True)
class FakeModel:
    spec: EngineSpec


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A model cache and a memory of fallbacks of the test's own."""
    monkeypatch.setattr(whisper, "_models", {})
    monkeypatch.setattr(fallback, "_reached", {})


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[EngineSpec]:
    """The engines loaded, through the real cache; each load makes a fake model."""
    loaded: list[EngineSpec] = []

    def load(spec: EngineSpec) -> Any:
        loaded.append(spec)
        return FakeModel(spec)

    monkeypatch.setattr(whisper, "_load", load)
    return loaded


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """What the chain logs outside a Prefect run (inside one, the run's logger)."""
    messages: list[str] = []

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("mumu.transcription")
    handler = Kept(logging.INFO)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield messages
    logger.removeHandler(handler)
    logger.setLevel(level)


def runs_out(when: Any) -> Any:
    """Work that raises CUDA's out-of-memory error for the options ``when`` holds for,
    and otherwise says what it was given."""
    tried: list[TranscribeOptions] = []

    def work(model: FakeModel, options: TranscribeOptions) -> TranscribeOptions:
        tried.append(options)
        assert model.spec == options.engine, "the model of the step's own engine"
        if when(options):
            raise RuntimeError(OUT_OF_MEMORY)
        return options

    work.tried = tried  # type: ignore[attr-defined]
    return work


@pytest.mark.parametrize(
    ("error", "gpu_memory"),
    [
        (RuntimeError("CUDA failed with error out of memory"), True),
        (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
        (RuntimeError("cuBLAS failed with status CUBLAS_STATUS_ALLOC_FAILED"), True),
        (RuntimeError("CUDA failed with error an illegal memory access was encountered"), False),
        (RuntimeError("Unable to open file 'model.bin'"), False),
        (MemoryError("out of memory"), False),
        (ValueError("CUDA out of memory"), False),
        (None, False),
    ],
)
def test_only_the_gpu_running_out_of_memory_is_taken_for_it(
    error: BaseException | None, gpu_memory: bool
) -> None:
    assert is_gpu_out_of_memory(error) is gpu_memory


def test_the_chain_halves_the_batch_then_takes_int8_then_the_cpu() -> None:
    options = on_gpu(batch_size=12)
    steps = chain(options)
    assert [(s.name, s.record) for s in steps] == [
        (None, None),
        ("smaller_batch", "batch 6"),
        ("smaller_batch", "batch 3"),
        ("smaller_batch", "batch 1"),
        ("int8", "int8_float16"),
        ("cpu", "cpu"),
    ]
    int8, cpu = steps[-2].options, steps[-1].options
    assert (int8.engine.device, int8.engine.compute_type, int8.batch_size) == (
        "cuda",
        "int8_float16",
        1,
    )
    assert (cpu.engine.device, cpu.engine.compute_type, cpu.batch_size) == ("cpu", "int8", 12)
    assert all(replace(s.options, batch_size=12).key == options.key for s in steps)


def test_steps_that_would_change_nothing_are_left_out() -> None:
    sequential_int8 = replace(
        on_gpu(batch_size=1), engine=replace(on_gpu().engine, compute_type="int8")
    )
    assert [s.name for s in chain(sequential_int8)] == [None, "cpu"]
    assert [s.name for s in chain(Settings(whisper_device="cpu").transcription)] == [None]


def test_memory_running_out_takes_a_smaller_batch_until_one_fits(
    loads: list[EngineSpec], logged: list[str]
) -> None:
    options = on_gpu(batch_size=8)
    work = runs_out(lambda o: o.batch_size > 2)
    made = transcribed(options, work)
    assert made.fallback == "batch 2"
    assert made.value.batch_size == 2
    assert [o.batch_size for o in work.tried] == [8, 4, 2]
    assert loads == [options.engine], "a smaller batch keeps the model it has"
    assert len(logged) == 2
    assert logged[0] == (
        f"GPU memory ran out on cuda in float16 with batch size 8 ({OUT_OF_MEMORY}); "
        "smaller_batch step: transcribing again on cuda in float16 with batch size 4"
    )


def test_then_int8_then_the_cpu_each_through_the_model_cache(loads: list[EngineSpec]) -> None:
    options = on_gpu(batch_size=4)
    work = runs_out(lambda o: o.engine.device == "cuda")
    made = transcribed(options, work)
    assert made.fallback == "cpu"
    assert [(o.engine.device, o.engine.compute_type, o.batch_size) for o in work.tried] == [
        ("cuda", "float16", 4),
        ("cuda", "float16", 2),
        ("cuda", "float16", 1),
        ("cuda", "int8_float16", 1),
        ("cpu", "int8", 4),
    ]
    cpu = work.tried[-1].engine
    assert set(whisper._models) == {cpu}, "the models that ran out are dropped"
    assert whisper.get_model(cpu) is whisper.get_model(cpu)
    assert loads == [options.engine, replace(options.engine, compute_type="int8_float16"), cpu]


def test_later_recordings_of_the_process_start_where_memory_sufficed(
    loads: list[EngineSpec], logged: list[str]
) -> None:
    options = on_gpu(batch_size=4)
    first = runs_out(lambda o: o.engine.compute_type == "float16")
    assert transcribed(options, first).fallback == "int8_float16"
    later = runs_out(lambda o: False)
    assert transcribed(options, later).fallback == "int8_float16"
    assert [o.engine.compute_type for o in later.tried] == ["int8_float16"]
    assert len(loads) == 2, "the int8 model is loaded once for both"
    assert logged[-1] == (
        "transcribing on cuda in int8_float16 with batch size 1 (int8 step): GPU memory "
        "ran out earlier in this process"
    )
    assert transcribed(on_gpu(batch_size=2), later).fallback is None, "another configuration"


def test_a_model_that_runs_out_while_loading_skips_the_smaller_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def load(spec: EngineSpec) -> Any:
        if spec.compute_type == "float16":
            raise RuntimeError(OUT_OF_MEMORY)
        return FakeModel(spec)

    monkeypatch.setattr(whisper, "_load", load)
    work = runs_out(lambda o: False)
    assert transcribed(on_gpu(batch_size=8), work).fallback == "int8_float16"
    assert [o.engine.compute_type for o in work.tried] == ["int8_float16"]


def test_without_the_cpu_fallback_the_recording_fails_in_one_line_naming_the_setting(
    loads: list[EngineSpec],
) -> None:
    work = runs_out(lambda o: o.engine.device == "cuda")
    with pytest.raises(GpuMemoryExhausted) as raised:
        transcribed(on_gpu(batch_size=2, cpu_fallback=False), work)
    assert isinstance(raised.value, ConfigurationError), "no retry makes the memory larger"
    reason = one_line(raised.value)
    assert reason == str(raised.value)
    assert reason.startswith("MUMU_WHISPER_CPU_FALLBACK=false and the GPU ran out of memory")
    assert "in int8_float16 with batch size 1" in reason
    assert all(o.engine.device == "cuda" for o in work.tried)


def test_an_error_that_is_not_gpu_memory_is_raised_as_it_was(loads: list[EngineSpec]) -> None:
    tried: list[TranscribeOptions] = []

    def work(_model: FakeModel, options: TranscribeOptions) -> None:
        tried.append(options)
        raise RuntimeError("CUDA failed with error an illegal memory access was encountered")

    with pytest.raises(RuntimeError, match="illegal memory access"):
        transcribed(on_gpu(batch_size=8), work)
    assert len(tried) == 1
    assert fallback._reached == {}


@pytest.mark.parametrize(
    ("record", "step", "said"),
    [
        ("batch 2", "smaller_batch", "transcribed with batch size 2: GPU memory ran out"),
        ("int8_float16", "int8", "transcribed in int8_float16 at batch size 1: GPU memory ran out"),
        ("int8", "int8", "transcribed in int8 at batch size 1: GPU memory ran out"),
        ("cpu", "cpu", "transcribed on the CPU: GPU memory ran out"),
    ],
)
def test_what_a_transcript_needed_is_labelled_as_the_migration_counts_it(
    record: str, step: str, said: str
) -> None:
    import importlib

    migration = importlib.import_module("mumu.migrations.versions.0014_transcript_fallbacks")
    [part] = migration.FALLBACKS.parts
    label = sqlite3.connect(":memory:").execute(
        f"SELECT {part.label_a.replace('r.fallback', '?')}", (record,) * 2
    )
    assert step_of(record) == step == label.fetchone()[0]
    assert described(record) == said


class RunsOutOnTheGpu:
    """A CTranslate2 Whisper model, loaded on the CPU, whose encoder raises CUDA's
    out-of-memory error where its engine says it would run on the GPU."""

    def __init__(self, model: Any, spec: EngineSpec) -> None:
        self._model = model
        self._spec = spec

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def encode(self, features: Any, *args: Any, **kwargs: Any) -> Any:
        if self._spec.device == "cuda":
            raise RuntimeError(OUT_OF_MEMORY)
        return self._model.encode(features, *args, **kwargs)


@pytest.fixture
def gpu_out_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every engine loads the real tiny.en on the CPU; those on cuda run out of memory."""
    load = whisper._load

    def on_the_cpu(spec: EngineSpec) -> Any:
        model = load(replace(spec, device="cpu", compute_type="int8"))
        model.model = RunsOutOnTheGpu(model.model, spec)
        return model

    monkeypatch.setattr(whisper, "_load", on_the_cpu)


def transcribed_recording(engine: Engine, options: TranscribeOptions) -> int:
    from mumu.db.recordings import register_recording
    from mumu.stages import transcribe as stage
    from mumu.transcription.audio import decode

    recording_id = register_recording(engine, "/in/jfk.flac", "cd" * 32, 1000)
    stage.run(engine, recording_id, decode(DATA_DIR / "jfk.flac", 3600), options)
    return recording_id


@pytest.mark.slow
@pytest.mark.usefixtures("gpu_out_of_memory")
def test_a_recording_transcribed_on_the_cpu_says_so_and_is_counted(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient
    from typer.testing import CliRunner

    from mumu.cli import app
    from mumu.sidecar.app import create_app
    from tests.sidecar.test_app import metric

    options = settings.model_copy(
        update={"whisper_device": "cuda", "whisper_batch_size": 4}
    ).transcription
    recording_id = transcribed_recording(engine, options)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT fallback, settings_key, text FROM transcripts WHERE recording_id = :id"),
            {"id": recording_id},
        ).one()
    assert stored.fallback == "cpu"
    assert stored.settings_key == options.key, "the same configuration, only slower"
    assert "ask not what your country can do for you" in stored.text.lower()

    shown = CliRunner().invoke(app, ["show", str(recording_id)])
    assert "transcribed on the CPU: GPU memory ran out" in shown.stdout
    as_json = json.loads(CliRunner().invoke(app, ["show", str(recording_id), "--json"]).stdout)
    assert as_json["transcript"]["fallback"] == "cpu"

    scraped = TestClient(create_app(settings, None)).get("/metrics").text
    assert metric(scraped, "mumu_transcription_fallbacks_total", step="cpu") == 1
    assert metric(scraped, "mumu_transcription_fallbacks_total", step="int8") == 0


@pytest.mark.slow
@pytest.mark.usefixtures("gpu_out_of_memory")
def test_a_gpu_pool_without_the_cpu_fallback_fails_the_recording_in_one_line(
    settings: Settings, engine: Engine
) -> None:
    from mumu.db.views import recording_detail
    from mumu.errors import StageFailed
    from mumu.tasks.retry import is_transient

    options = settings.model_copy(
        update={"whisper_device": "cuda", "whisper_cpu_fallback": False}
    ).transcription
    with pytest.raises(StageFailed) as raised:
        transcribed_recording(engine, options)
    assert raised.value.reason.startswith("MUMU_WHISPER_CPU_FALLBACK=false and the GPU ran")
    assert not raised.value.retryable

    class Failed:
        def result(self) -> None:
            raise raised.value

    assert is_transient(None, None, Failed()) is False
    detail = recording_detail(engine, 1)
    assert detail is not None and detail.status == "failed" and detail.transcript is None
    assert detail.error == f"transcribe: {raised.value.reason}"
