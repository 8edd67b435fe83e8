"""The groups a ``Settings`` is read in, one per concern: what a stage, a task or a client
takes instead of the whole configuration (``mumu.settings`` builds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ByteSize, SecretStr

from mumu.access import AccessConfig


@dataclass(frozen=True)
class DatabaseConfig:
    url: SecretStr
    stale_after_s: float
    """A run whose claim is silent this long is presumed dead."""

    @property
    def url_value(self) -> str:
        return self.url.get_secret_value()


@dataclass(frozen=True)
class IntakeConfig:
    """What a source must be to be taken in, and how a URL is fetched."""

    downloads_dir: Path
    ingest_roots: tuple[Path, ...]
    allow_private_urls: bool
    max_file_size: ByteSize
    max_duration_s: float
    download_timeout_s: float
    download_deadline_s: float
    download_min_rate: int


@dataclass(frozen=True)
class LLMConfig:
    base_url: str | None
    api_key: SecretStr | None
    model: str
    context_tokens: int
    timeout_s: float
    max_retries: int
    retry_budget_s: float
    budget_s: float
    embeddings_model: str | None
    concurrency_limit: str | None

    @property
    def configured(self) -> bool:
        return bool(self.base_url or self.api_key)

    @property
    def embeddings_configured(self) -> bool:
        return self.configured and bool(self.embeddings_model)


@dataclass(frozen=True)
class NoticesConfig:
    """Where notices go and how links to a recording are made."""

    url: SecretStr | None
    secret: SecretStr | None
    budget_s: float
    access: AccessConfig
    scrubbed: tuple[str, ...] = field(repr=False, default=())
    """Every secret of the configuration, kept out of what a notice says."""


@dataclass(frozen=True)
class ReportingConfig:
    sentry_dsn: SecretStr | None
    environment: str
    scrubbed: tuple[str, ...] = field(repr=False, default=())
