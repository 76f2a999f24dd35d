"""Which model an agent runs on, chosen from settings, and how its failures read.

- ``OPENAI_API_KEY`` set: OpenAI's Responses API (Chat Completions when
  ``settings.OPENAI_API == "chat_completions"``) with the model names from settings.
- ``OPENAI_BASE_URL`` set: the same against that OpenAI-compatible server (the key may be unset).
- Neither: the offline rule-based model.

Retries live in the ``openai`` client: 429, 408/409, 5xx, timeouts and connection errors are
retried ``settings.MODEL_MAX_RETRIES`` times with exponential backoff (honouring the server's
``retry-after`` headers); after that the exception propagates and the runtime fails the task
with ``describe_model_error(exc)``. The SDK's own runner retries are left off so attempts are
never multiplied.

SDK tracing exports to OpenAI with the API key; without a key (or against another server) it is
switched off when this package is imported (``tracing.configure_tracing``).
"""

from __future__ import annotations

import asyncio
import http
import weakref
from urllib.parse import urlparse

import openai
from agents import (
    Model,
    ModelSettings,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
)
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError
from django.conf import settings
from openai import AsyncOpenAI
from openai.types.shared import Reasoning

from tasks.agents.providers.offline import OfflineSupportModel
from tasks.agents.providers.offline_chat.model import OfflineChatModel

CHAT_COMPLETIONS = "chat_completions"
# Without a key the client still needs one; OpenAI-compatible servers usually ignore it.
PLACEHOLDER_KEY = "unused"
# Model families that accept reasoning settings (and return reasoning summaries).
REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")

STATUS_ERROR = "The model provider returned {status} {phrase}{after}{detail}."
RATE_LIMITED = "The model provider kept rate-limiting the requests (429 Too Many Requests){after}."
AUTH_ERROR = "The model provider refused the API key ({status} {phrase}); check OPENAI_API_KEY."
NOT_FOUND = (
    "The model provider does not know this model or endpoint (404 Not Found){detail}; check"
    " AGENTDESK_TASK_MODEL and OPENAI_BASE_URL."
)
TIMEOUT_ERROR = "The model provider did not answer within {seconds:g} seconds{after}."
CONNECTION_ERROR = "Could not connect to the model provider at {host}{after}."
STREAM_ERROR = "The model provider reported an error: {detail}"
BAD_RESPONSE = "The model sent a response the agent could not use: {detail}"
MAX_TURNS = "The agent stopped after reaching its turn limit without finishing: {detail}"
UNEXPECTED = "The model call failed: {detail}"

_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[object, ...], AsyncOpenAI]
]
_clients = weakref.WeakKeyDictionary()


def uses_openai_provider() -> bool:
    """True when tasks run on OpenAI or a compatible server rather than the offline model."""
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


def _new_client() -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key=settings.OPENAI_API_KEY or PLACEHOLDER_KEY,
        base_url=settings.OPENAI_BASE_URL or None,
        max_retries=settings.MODEL_MAX_RETRIES,
        timeout=settings.MODEL_TIMEOUT_SECONDS,
    )


def openai_client() -> AsyncOpenAI:
    """The configured client, shared per event loop (one connection pool for all the runs of
    a worker; an httpx pool must not cross event loops)."""
    key = (
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.MODEL_MAX_RETRIES,
        settings.MODEL_TIMEOUT_SECONDS,
    )
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _new_client()
    per_loop = _clients.setdefault(loop, {})
    if key not in per_loop:
        per_loop[key] = _new_client()
    return per_loop[key]


def offline_model() -> OfflineSupportModel:
    """The offline model as configured (its pace per turn, its name)."""
    return OfflineSupportModel(delay=settings.OFFLINE_MODEL_DELAY, name=settings.OFFLINE_MODEL_NAME)


def _model_for(name: str) -> tuple[Model, str]:
    if not uses_openai_provider():
        return offline_model(), settings.OFFLINE_MODEL_NAME
    client = openai_client()
    if settings.OPENAI_API == CHAT_COMPLETIONS:
        return OpenAIChatCompletionsModel(model=name, openai_client=client), name
    return OpenAIResponsesModel(model=name, openai_client=client), name


def get_task_model() -> tuple[Model, str]:
    """The model background tasks run on, and its display name for the task record and UI."""
    return _model_for(settings.TASK_MODEL)


def get_guardrail_model() -> Model | None:
    """The model the model-backed guardrails run on, or None (offline, or switched off with
    an empty ``AGENTDESK_GUARDRAIL_MODEL``): the rules alone then."""
    if not uses_openai_provider() or not settings.GUARDRAIL_MODEL:
        return None
    return _model_for(settings.GUARDRAIL_MODEL)[0]


def get_chat_model() -> tuple[Model, str]:
    """The model the copilot chat runs on, and its display name: without a key, the offline
    copilot (rule-based)."""
    if not uses_openai_provider():
        model = OfflineChatModel(
            delay=settings.OFFLINE_CHAT_DELAY, name=settings.OFFLINE_CHAT_MODEL_NAME
        )
        return model, settings.OFFLINE_CHAT_MODEL_NAME
    return _model_for(settings.CHAT_MODEL)


def _is_reasoning_model(name: str) -> bool:
    return name.lower().startswith(REASONING_PREFIXES)


def model_settings_for(name: str) -> ModelSettings:
    """Settings for a run on model ``name``: reasoning summaries from reasoning models on the
    Responses API (streamed as reasoning deltas), usage in Chat Completions streams."""
    if not uses_openai_provider():
        return ModelSettings()
    if settings.OPENAI_API == CHAT_COMPLETIONS:
        return ModelSettings(include_usage=True)
    if _is_reasoning_model(name):
        return ModelSettings(reasoning=Reasoning(summary="auto"))
    return ModelSettings()


def task_model_settings() -> ModelSettings:
    """The ModelSettings for task runs (pass to the agent or the RunConfig)."""
    return model_settings_for(settings.TASK_MODEL)


def _openai_error(exc: BaseException) -> openai.OpenAIError | None:
    """The openai exception behind ``exc`` (the SDK may wrap or chain it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, openai.OpenAIError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _attempts(exc: openai.OpenAIError) -> int | None:
    """How many requests were made: the client numbers each retry in a request header."""
    request = getattr(exc, "request", None)
    headers = getattr(request, "headers", None)
    raw = headers.get("x-stainless-retry-count") if headers is not None else None
    return int(raw) + 1 if raw is not None and str(raw).isdigit() else None


def _detail(exc: openai.APIError) -> str:
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    if not message and isinstance(body, str):
        message = body
    return str(message).strip().rstrip(".")[:200] if message else ""


def describe_model_error(exc: BaseException) -> str:
    """A sentence a staff member can act on for a model call that failed for good."""
    error = _openai_error(exc)
    if error is None:
        if isinstance(exc, MaxTurnsExceeded):
            return MAX_TURNS.format(detail=str(exc)[:200])
        if isinstance(exc, ModelBehaviorError):
            return BAD_RESPONSE.format(detail=str(exc)[:300])
        return UNEXPECTED.format(detail=f"{type(exc).__name__}: {exc}"[:300])
    attempts = _attempts(error)
    after = f" after {attempts} attempts" if attempts and attempts > 1 else ""
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        detail = _detail(error)
        if status == 429:
            return RATE_LIMITED.format(after=after)
        if status in {401, 403}:
            return AUTH_ERROR.format(status=status, phrase=phrase)
        if status == 404:
            return NOT_FOUND.format(detail=f": {detail}" if detail else "")
        return STATUS_ERROR.format(
            status=status, phrase=phrase, after=after, detail=f": {detail}" if detail else ""
        )
    if isinstance(error, openai.APITimeoutError):
        return TIMEOUT_ERROR.format(seconds=settings.MODEL_TIMEOUT_SECONDS, after=after)
    if isinstance(error, openai.APIConnectionError):
        url = getattr(getattr(error, "request", None), "url", None)
        host = getattr(url, "host", None) or urlparse(settings.OPENAI_BASE_URL).netloc
        return CONNECTION_ERROR.format(host=host or "api.openai.com", after=after)
    if isinstance(error, openai.APIError):
        return STREAM_ERROR.format(detail=(_detail(error) or error.message)[:300])
    return UNEXPECTED.format(detail=str(error)[:300])
