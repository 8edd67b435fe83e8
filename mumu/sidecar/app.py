"""The sidecar: a small Starlette app beside a worker for health, readiness and metrics."""

from __future__ import annotations

import os
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
from mumu.sentry import init_sentry
from mumu.settings import Settings
from mumu.sidecar import checks
from mumu.sidecar.metrics import DatabaseCollector


def create_app(settings: Settings, prefect_api_url: str | None) -> Starlette:
    started = time.monotonic()
    init_sentry(settings)
    registry = CollectorRegistry()
    process_collector.ProcessCollector(registry=registry)
    platform_collector.PlatformCollector(registry=registry)
    gc_collector.GCCollector(registry=registry)
    registry.register(DatabaseCollector(settings))

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

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics),
        ]
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
