"""Which stages a recording still needs, from what decides each stage's output."""

from pydantic import SecretStr

from mumu.db.models import Stage
from mumu.settings import Settings
from mumu.stages.plan import planned_keys, stages_to_run


def stored_with(settings: Settings) -> dict[Stage, str | None]:
    return {Stage.INGEST: "ab" * 32, **planned_keys(settings)}


def test_nothing_to_do_when_every_stored_key_is_current() -> None:
    settings = Settings()
    assert stages_to_run(planned_keys(settings), stored_with(settings)) == []


def test_a_new_llm_model_or_endpoint_reruns_only_the_insights() -> None:
    before = Settings()
    after = before.model_copy(
        update={"llm_base_url": "http://127.0.0.1:1/v1", "llm_api_key": SecretStr("k")}
    )
    assert stages_to_run(planned_keys(after), stored_with(before)) == [Stage.INSIGHTS]
    other_model = after.model_copy(update={"llm_model": "another"})
    assert stages_to_run(planned_keys(other_model), stored_with(after)) == [Stage.INSIGHTS]


def test_a_decoding_option_retranscribes_and_so_resummarises() -> None:
    before = Settings()
    for change in ({"whisper_beam_size": 1}, {"whisper_language": "en"}, {"whisper_vad": False}):
        after = before.model_copy(update=change)
        assert stages_to_run(planned_keys(after), stored_with(before)) == [
            Stage.AUDIO,
            Stage.TRANSCRIBE,
            Stage.INSIGHTS,
        ]


def test_what_does_not_change_a_transcript_does_not_rerun_it() -> None:
    before = Settings()
    after = before.model_copy(update={"whisper_device": "cpu", "whisper_cpu_threads": 1})
    assert stages_to_run(planned_keys(after), stored_with(before)) == []
