"""SDK tracing, set up once when the models package is imported.

Task runs are always traced into the database (``AGENTDESK_TRACES``, on by default) and, with
``OTEL_EXPORTER_OTLP_ENDPOINT``, to an OpenTelemetry collector (tasks.runtime.tracing). The
SDK's own exporter sends traces to OpenAI only with a key, and only when talking to OpenAI
itself; with nothing to receive them, tracing is off."""

from __future__ import annotations

from urllib.parse import urlparse

from agents import set_tracing_export_api_key
from django.conf import settings

from tasks.runtime.tracing import tracing_install

OPENAI_HOSTS = {"api.openai.com"}


def configure_tracing() -> None:
    host = urlparse(settings.OPENAI_BASE_URL).hostname if settings.OPENAI_BASE_URL else None
    to_openai = bool(settings.OPENAI_API_KEY) and (host is None or host in OPENAI_HOSTS)
    if to_openai:
        set_tracing_export_api_key(settings.OPENAI_API_KEY)
    tracing_install(export_to_openai=to_openai)
