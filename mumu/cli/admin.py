"""Operating mumu: ``db upgrade``, ``db reader`` and the ``sidecar``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mumu.cli.common import app, console, db_app, fail
from mumu.db.reading import DatabaseUnavailable
from mumu.settings import Settings, get_settings


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema."""
    from mumu.db.engine import upgrade

    try:
        upgrade(get_settings().database.url_value)
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    console.print("database schema is up to date")


@db_app.command("reader")
def db_reader(
    role: Annotated[str, typer.Argument(help="The role to read with, e.g. mumu_reader.")],
) -> None:
    """Make a Postgres role that can read the library and nothing else (for the sidecar
    and the read commands); MUMU_READER_PASSWORD creates it or sets its password."""
    import os

    from pydantic import SecretStr

    from mumu.db.roles import grant_reader

    given = os.environ.get("MUMU_READER_PASSWORD")
    try:
        created = grant_reader(
            get_settings().database.url_value, role, SecretStr(given) if given else None
        )
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    console.print(f"role {role} {'created' if created else 'updated'}: it reads, and cannot write")


@app.command()
def sidecar(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (the Prefect worker's own is 8080).")] = 9108,
) -> None:
    """Serve /health, /ready and /metrics for this machine."""
    import uvicorn
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

    from mumu.sidecar.app import create_app

    settings = with_block_tokens(get_settings())
    app = create_app(settings, PREFECT_API_URL.value(), PREFECT_API_AUTH_STRING.value())
    uvicorn.run(app, host=host, port=port)


def with_block_tokens(settings: Settings) -> Settings:
    """The settings with the tokens of ``MUMU_ACCESS_TOKENS_BLOCK`` (a Prefect Secret
    block) added to those of the environment; rotating them is saving the block with the
    new token beside the old, restarting the sidecar, then saving it without the old."""
    if not settings.access_tokens_block:
        return settings
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    from mumu.blocks import load_block
    from mumu.errors import ConfigurationError

    try:
        block: Any = load_block(Secret, settings.access_tokens_block, "MUMU_ACCESS_TOKENS_BLOCK")
    except ConfigurationError as exc:
        raise fail(str(exc)) from None
    held = str(block.get())
    given = settings.access_tokens.get_secret_value() if settings.access_tokens else ""
    tokens = SecretStr(",".join(part for part in (given, held) if part))
    return settings.model_copy(update={"access_tokens": tokens})
