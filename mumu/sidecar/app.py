"""The sidecar: a small Starlette app beside a worker for health, readiness and metrics.

It also serves transcript exports (``/recordings/ID/transcript.srt``) and notes
(``/recordings/ID/notes.md``), which run artifacts and notices link to when
``MUMU_PUBLIC_URL`` is set: to a bearer token (``MUMU_ACCESS_TOKENS``) or a signed link
(``MUMU_LINK_KEY``) only, also when nothing is configured. Health, readiness and metrics
stay open, for probes and a scrape on a private network.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mumu import __version__
from mumu.access import Verdict, judge, signed_until
from mumu.db import views
from mumu.db.engine import read_engine
from mumu.db.reading import describe_db_error
from mumu.db.retry import at_once
from mumu.db.views import RecordingDetail
from mumu.library import export
from mumu.sentry import init_sentry
from mumu.settings import Settings
from mumu.sidecar import checks, pages
from mumu.sidecar.metrics import DatabaseCollector, PrefectRunsCollector

log = logging.getLogger("mumu.sidecar")
EXPORT_MEDIA_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "json": "application/json",
    "notes": "text/markdown; charset=utf-8",
}


def create_app(
    settings: Settings, prefect_api_url: str | None, prefect_auth_string: str | None = None
) -> Starlette:
    started = time.monotonic()
    init_sentry(settings.reporting)
    registry = CollectorRegistry()
    process_collector.ProcessCollector(registry=registry)
    platform_collector.PlatformCollector(registry=registry)
    gc_collector.GCCollector(registry=registry)
    registry.register(DatabaseCollector(settings))
    if prefect_api_url:
        registry.register(PrefectRunsCollector(prefect_api_url, prefect_auth_string))

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "uptime_s": round(time.monotonic() - started, 3),
                "hostname": socket.gethostname(),
                "memory": memory(),
            }
        )

    def ready(_request: Request) -> JSONResponse:
        results = checks.run_all(settings, prefect_api_url)
        failing = [check.name for check in results if not check.ok]
        body = {
            "status": "not ready" if failing else "ready",
            "failing": failing,
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in results},
        }
        return JSONResponse(body, status_code=503 if failing else 200)

    def metrics(_request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    access = settings.access

    def recording_of(request: Request) -> RecordingDetail | Response:
        """The recording a page shows, for a bearer token or a signed link only
        (``mumu.access``), judged before the database is asked; 404 where there is none,
        503 at once while the database is unavailable."""
        query = request.query_params
        if len(query.getlist("expires")) > 1 or len(query.getlist("signature")) > 1:
            return refused(Verdict.BAD_SIGNATURE)
        verdict = judge(
            access,
            request.url.path,
            request.headers.get("authorization"),
            query.get("expires"),
            query.get("signature"),
        )
        if verdict is not Verdict.ALLOWED:
            return refused(verdict)
        given_id = request.path_params["recording_id"]
        if not RECORDING_ID.fullmatch(given_id):
            return not_found()
        try:
            with at_once():
                detail = views.recording_detail(read_engine(settings.database), int(given_id))
        except Exception as exc:  # noqa: BLE001 - unreachable, refused, schema: one line
            reason = describe_db_error(settings.database.url_value, exc)
            log.warning("recording page unavailable: %s", reason)
            return Response(
                "the database is unavailable\n", status_code=503, media_type="text/plain"
            )
        if detail is None:
            return not_found()
        return detail

    def transcript(request: Request) -> Response:
        """A transcript export, or the notes (``notes.md``): the plain forms of a page."""
        fmt = request.path_params.get("fmt", "notes")
        if fmt not in EXPORT_MEDIA_TYPES:
            fmt = "unknown"
        detail = recording_of(request)
        if isinstance(detail, Response):
            return detail
        if fmt == "unknown":
            return not_found()
        rendered = export.render(detail, fmt)
        return Response(rendered, media_type=EXPORT_MEDIA_TYPES[fmt], headers=pages.HEADERS)

    def page(request: Request) -> Response:
        """The recording as a page a person reads (``mumu.sidecar.pages``), linking its
        plain-text forms; a visitor who came by a signed link gets links signed to expire
        when theirs does."""
        detail = recording_of(request)
        if isinstance(detail, Response):
            return detail
        by_link = "authorization" not in request.headers  # else judged by its token
        expires = request.query_params.get("expires") if by_link else None
        exports = [
            (name, signed_until(access, path, int(expires)) if expires else path)
            for name, path in pages.export_paths(detail.id)
        ]
        return pages.recording_page(request, detail, exports)

    return Starlette(
        routes=[
            Route("/recordings/{recording_id}", page),
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics),
            Route("/recordings/{recording_id}/transcript.{fmt}", transcript),
            Route("/recordings/{recording_id}/notes.md", transcript),
        ]
    )


RECORDING_ID = re.compile(r"[1-9][0-9]{0,18}")
"""An id as written in a link; anything else names no recording (the router's own int
conversion would raise on five thousand digits, before the credential is judged)."""


def not_found() -> Response:
    return Response("not found\n", status_code=404, media_type="text/plain", headers=pages.HEADERS)


def refused(verdict: Verdict) -> Response:
    """401 without a credential (or with a token that is not one), 403 for a link whose
    signature does not hold: the same for every recording, there or not."""
    if verdict is Verdict.NO_CREDENTIAL:
        return Response(
            f"{verdict.value}\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="mumu"'} | pages.HEADERS,
        )
    return Response(
        f"{verdict.value}\n", status_code=403, media_type="text/plain", headers=pages.HEADERS
    )


def memory() -> dict[str, Any]:
    """Resident and total memory in bytes, from /proc where there is one."""
    page = os.sysconf("SC_PAGE_SIZE")
    try:
        with open("/proc/self/statm") as statm:
            rss = int(statm.read().split()[1]) * page
    except OSError:
        rss = None
    total = os.sysconf("SC_PHYS_PAGES") * page
    return {"rss_bytes": rss, "total_bytes": total}
