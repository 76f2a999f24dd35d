"""Readable reasons for a failed run, shown on the task and stored on ``task.failed``."""

from __future__ import annotations

import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError
from django.conf import settings

MAX_TURNS_REASON = "The agent stopped after {turns} turns without finishing (the turn limit)."
PROVIDER_REASON = "The model provider failed after {attempts} attempts: {detail}"
BAD_MODEL_OUTPUT_REASON = "The model sent a response the agent could not use: {detail}"
UNEXPECTED_REASON = "The run stopped on an unexpected error: {detail}"


def _provider_detail(exc: openai.APIError) -> str:
    if isinstance(exc, openai.APIStatusError):
        reason = getattr(exc.response, "reason_phrase", "") or ""
        return f"{exc.status_code} {reason}".strip()
    if isinstance(exc, openai.APITimeoutError):
        return "the request timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect to the API"
    return str(exc) or type(exc).__name__


def describe_run_error(exc: BaseException, *, max_turns: int) -> str:
    """One sentence a staff member can act on (Retry, or fix the configuration)."""
    user_message = getattr(exc, "user_message", None)
    if isinstance(user_message, str) and user_message:
        return user_message
    if isinstance(exc, MaxTurnsExceeded):
        return MAX_TURNS_REASON.format(turns=max_turns)
    if isinstance(exc, openai.APIError):
        return PROVIDER_REASON.format(
            attempts=settings.MODEL_MAX_RETRIES, detail=_provider_detail(exc)
        )
    if isinstance(exc, ModelBehaviorError):
        return BAD_MODEL_OUTPUT_REASON.format(detail=str(exc)[:300])
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return UNEXPECTED_REASON.format(detail=detail[:500])
