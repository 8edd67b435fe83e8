"""Operating mumu: ``db upgrade`` and the ``sidecar``."""

from __future__ import annotations

from typing import Annotated

import typer

from mumu.cli.common import app, console, db_app, fail
from mumu.db.reading import DatabaseUnavailable
from mumu.settings import get_settings


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema."""
    from mumu.db.engine import upgrade

    try:
        upgrade(get_settings().database.url_value)
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    console.print("database schema is up to date")


@app.command()
def sidecar(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (the Prefect worker's own is 8080).")] = 9108,
) -> None:
    """Serve /health, /ready and /metrics for this machine."""
    import uvicorn
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

    from mumu.sidecar.app import create_app

    app = create_app(get_settings(), PREFECT_API_URL.value(), PREFECT_API_AUTH_STRING.value())
    uvicorn.run(app, host=host, port=port)
