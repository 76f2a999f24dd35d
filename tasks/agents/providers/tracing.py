"""SDK tracing: traces export to OpenAI with the API key, so without a key (or when the models
run on another server) export is switched off, once, when the models package is imported."""

from __future__ import annotations

from urllib.parse import urlparse

from agents import set_tracing_disabled, set_tracing_export_api_key
from django.conf import settings

OPENAI_HOSTS = {"api.openai.com"}


def configure_tracing() -> None:
    """Export traces only with a key, and only when talking to OpenAI itself."""
    host = urlparse(settings.OPENAI_BASE_URL).hostname if settings.OPENAI_BASE_URL else None
    if settings.OPENAI_API_KEY and (host is None or host in OPENAI_HOSTS):
        set_tracing_export_api_key(settings.OPENAI_API_KEY)
    else:
        set_tracing_disabled(True)
