"""Readable reasons for a failed run, shown on the task and stored on ``task.failed``."""

from __future__ import annotations

import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError

from tasks.agents.providers.provider import describe_model_error

MAX_TURNS_REASON = "The agent stopped after {turns} turns without finishing (the turn limit)."
SPECIALIST_MAX_TURNS_REASON = (
    "The {agent} stopped after {turns} turns without finishing (the turn limit); Retry starts"
    " again with the support agent."
)
BAD_MODEL_OUTPUT_REASON = "The model sent a response the agent could not use: {detail}"
UNEXPECTED_REASON = "The run stopped on an unexpected error: {detail}"


def _is_provider_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, openai.OpenAIError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def describe_run_error(exc: BaseException, *, max_turns: int, agent: str = "") -> str:
    """One sentence a staff member can act on (Retry, or fix the configuration). Errors of
    the model provider are described by the provider module, which knows its retries.
    ``agent``: the specialist the run had handed the case to, if any."""
    if isinstance(exc, MaxTurnsExceeded):
        if agent:
            return SPECIALIST_MAX_TURNS_REASON.format(agent=agent.lower(), turns=max_turns)
        return MAX_TURNS_REASON.format(turns=max_turns)
    if _is_provider_error(exc):
        return describe_model_error(exc)
    if isinstance(exc, ModelBehaviorError):
        return BAD_MODEL_OUTPUT_REASON.format(detail=str(exc)[:300])
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return UNEXPECTED_REASON.format(detail=detail[:500])
