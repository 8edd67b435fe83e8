from pathlib import Path

import pytest
from pydantic import SecretStr

from mumu.errors import ConfigurationError
from mumu.settings import Settings, get_settings


def test_mumu_prefix_and_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MUMU_HOME", str(tmp_path))
    monkeypatch.setenv("MUMU_WHISPER_BEAM_SIZE", "2")
    settings = Settings()
    assert settings.whisper_beam_size == 2
    assert settings.whisper_model == "tiny.en"
    assert settings.database.url_value == f"sqlite:///{tmp_path / 'mumu.db'}"
    assert not settings.llm.configured


def test_openai_variables_are_honoured_and_the_key_stays_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    settings = Settings()
    assert settings.llm.configured
    assert settings.llm_base_url == "http://127.0.0.1:11434/v1"
    assert settings.llm_api_key is not None
    assert settings.llm_api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings)
    assert "sk-very-secret" not in str(settings.model_dump())


def test_mumu_llm_variables_win_over_openai_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai.example/v1")
    monkeypatch.setenv("MUMU_LLM_BASE_URL", "http://vllm.local/v1")
    assert Settings().llm_base_url == "http://vllm.local/v1"


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "MUMU_DATABASE_URL=postgresql+psycopg://mumu:hunter2@db/mumu\nMUMU_BATCH_CONCURRENCY=3\n"
    )
    settings = Settings()
    assert settings.batch_concurrency == 3
    assert settings.database.url_value.endswith("@db/mumu")
    assert "hunter2" not in repr(settings)


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUMU_WHISPER_DEVICE", "tpu")
    with pytest.raises(ValueError, match="whisper_device"):
        Settings()


def test_a_hung_llm_request_is_retried_within_the_default_budget() -> None:
    defaults = Settings()
    attempts = defaults.llm_max_retries + 1
    assert defaults.llm_retry_budget_s >= attempts * defaults.llm_timeout_s


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://mumu:pw-s3cret@db/mumu",
        "postgresql+psycopg://mumu:pw-s3cret@db:nope/mumu",
    ],
)
def test_the_database_password_is_a_secret_even_in_a_url_that_does_not_parse(url: str) -> None:
    settings = Settings(database_url=SecretStr(url))
    assert "pw-s3cret" in settings.secrets()
    assert "pw-s3cret" in settings.notices.scrubbed and "pw-s3cret" in settings.reporting.scrubbed


def test_the_default_transcription_key_is_the_one_stored_transcripts_carry() -> None:
    """A changed key re-transcribes every stored recording on its next run: the default's
    text is part of the library's contract."""
    assert (
        Settings().transcription.key == "tiny.en|beam=5|batch=1|lang=auto|vad=1|words=1|decoding=5"
    )
    hinted = Settings(whisper_vocabulary="Prefect", diarize=True, whisper_language="de")
    assert hinted.transcription.key.startswith("tiny.en|beam=5|batch=1|lang=de|vad=1|words=1|")
    assert (
        hinted.transcription.key.endswith("|voices=3")
        and "|vocabulary=" in hinted.transcription.key
    )


def test_each_concern_reads_its_own_group() -> None:
    settings = Settings(max_duration="90m", whisper_beam_size=2, llm_model="local")  # type: ignore[arg-type]
    assert settings.intake.max_duration_s == 5400
    assert settings.transcription.decode_kwargs()["beam_size"] == 2
    assert settings.transcription.engine.compute_type == "int8"  # the CPU's default
    assert settings.llm.model == "local" and not settings.llm.configured


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("MUMU_WHISPER_BEAM_SIZE", "-1", "greater than or equal to 1"),
        ("MUMU_WHISPER_BEAM_SIZE", "500", "less than or equal to 20"),
        ("MUMU_LLM_TIMEOUT_S", "nan", "finite number"),
        ("MUMU_LLM_TIMEOUT_S", "inf", "finite number"),
        ("MUMU_STALE_AFTER_S", "1e400", "finite number"),
        ("MUMU_STALE_AFTER_S", "1", "greater than or equal to 10"),
        ("MUMU_BATCH_CONCURRENCY", "1e23", "valid integer"),
        ("MUMU_BATCH_CONCURRENCY", "100000", "less than or equal to 64"),
        ("MUMU_MAX_DURATION", "0", "longer than 0"),
        ("MUMU_MAX_DURATION", "1000h", "at most 7 days"),
        ("MUMU_MAX_FILE_SIZE", "lots", "could not parse"),
        ("MUMU_INGEST_ROOTS", "notjson", "not valid JSON"),
        ("MUMU_WHISPER_DEVICE", "tpu", "'cpu', 'cuda' or 'auto'"),
        ("MUMU_NOTIFY_BUDGET_S", "-3", "greater than 0"),
        ("MUMU_RETENTION_DAYS", "0", "greater than 0"),
        ("MUMU_PUBLIC_URL", "javascript:alert(1)", "http(s) address"),
        ("MUMU_HOME", "", "give a folder"),
        ("MUMU_LINK_TTL_S", "1e-300", "greater than or equal to 60"),
    ],
)
def test_a_setting_that_does_not_hold_is_one_line_naming_it_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError) as refused:
        get_settings()
    message = str(refused.value)
    assert message.startswith(variable) and said in message and "\n" not in message
    if variable != "MUMU_INGEST_ROOTS":
        assert f"={value!r}" in message, "the value given is named"


def test_a_secret_that_does_not_hold_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUMU_LINK_TTL_S", "0")
    monkeypatch.setenv("MUMU_NOTIFY_URL", "https://hooks.example/T0KEN-secret")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError) as refused:
        get_settings()
    assert "T0KEN" not in str(refused.value)


def test_a_dotenv_that_is_not_text_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_bytes(b"\xff\xfe garbage \x00\n")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match=r"^\.env: not UTF-8 text \(byte 0xff at 0\)$"):
        get_settings()
