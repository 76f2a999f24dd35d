"""Prometheus metrics (``GET /metrics``, no login) and the HTTP request metrics middleware.

/metrics answers only a scraper that sends ``AGENTDESK_METRICS_TOKEN`` as a bearer token, or,
when no token is set, one calling from ``AGENTDESK_METRICS_ALLOWED_ADDRESSES`` (loopback by
default); anyone else gets a 403 that says how to get in."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware
from django.views.decorators.http import require_GET

from tasks.runtime.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS, metrics_exposition

NOT_ALLOWED = (
    "Metrics need the token (Authorization: Bearer <AGENTDESK_METRICS_TOKEN>) or a request from "
    "an address in AGENTDESK_METRICS_ALLOWED_ADDRESSES.\n"
)


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), token.encode()
        )
    return request.META.get("REMOTE_ADDR", "") in settings.METRICS_ALLOWED_ADDRESSES


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(NOT_ALLOWED, status=403, content_type="text/plain; charset=utf-8")
    body, content_type = metrics_exposition()
    return HttpResponse(body, content_type=content_type)


@sync_and_async_middleware
def request_metrics_middleware(get_response: Callable[[HttpRequest], Any]) -> Any:
    """Counts requests by route (the URL pattern, so ids make no new series), method and
    status, and times them by route. Sync and async alike (no thread hop under ASGI)."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            started = time.perf_counter()
            response = await get_response(request)
            _observe(request, response, started)
            return response

    else:

        def middleware(request: HttpRequest) -> HttpResponse:  # type: ignore[misc]
            started = time.perf_counter()
            response = get_response(request)
            _observe(request, response, started)
            return response

    return middleware


def _observe(request: HttpRequest, response: HttpResponse, started: float) -> None:
    match = getattr(request, "resolver_match", None)
    route = str(match.route) if match is not None and match.route else "unmatched"
    method = request.method if request.method in _METHODS else "other"
    HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
    HTTP_REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
