"""Probes for operators and orchestrators, without login: ``/healthz`` says the process
answers; ``/readyz`` says it can do its work: the database answers, the channel layer carries
messages, and a worker swept lately (``tasks.runtime.health``). 200 when ready, 503 with each
failing check named."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tasks.runtime.health import (
    channel_layer_answers,
    database_answers,
    heartbeat_window,
    workers_seen,
)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> str:
    database_answers()
    return "ok"


def _channel_layer() -> str:
    channel_layer_answers()
    return "ok"


def _worker() -> str:
    alive, age = workers_seen()
    if alive:
        return f"ok ({alive} seen, the latest {age:.0f} s ago)" if age is not None else "ok"
    window = heartbeat_window()
    if age is None:
        raise RuntimeError(f"no worker has swept yet (none in the last {window:.0f} s)")
    raise RuntimeError(f"no worker seen in the last {window:.0f} s (the last {age:.0f} s ago)")


CHECKS = {"database": _database, "channel_layer": _channel_layer, "worker": _worker}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    ready = True
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as exc:  # a probe reports, it never fails
            ready = False
            checks[name] = f"failing: {exc}"
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
