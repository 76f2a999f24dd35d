"""What a run may use, decided when it starts: the tools its starter and ticket allow
(tasks.agents.tools.access), less the money tools when the input guardrail flags
what the customer wrote (tasks.agents.guardrails: the rules, then the guardrail model when one
is configured). A guardrail that fails counts as flagged: the run goes on without the money
tools and the task is marked for review (fail closed)."""

from __future__ import annotations

import logging

from agents import Model
from asgiref.sync import sync_to_async

from tasks.agents.guardrails import (
    GUARDRAIL_FAILED,
    INJECTION_GUARDRAIL,
    GuardrailFinding,
    injection_check,
    model_input_check,
)
from tasks.agents.tools.access import task_disabled_tools
from tasks.models import Task
from tasks.services.task_lifecycle import task_mark_for_review
from tasks.task_selectors import task_customer_texts
from tools_app.registry import Risk, tools_of_risk

logger = logging.getLogger(__name__)

MONEY_TOOLS = tools_of_risk(Risk.MONEY)


def _allowed(task: Task) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    return task_disabled_tools(task=task), task_customer_texts(task=task)


async def input_finding(
    texts: list[tuple[str, str]], model: Model | None
) -> GuardrailFinding | None:
    """The input guardrail's finding on what the customer wrote; a failure is a finding."""
    try:
        finding = injection_check(texts)
        if finding is None and model is not None:
            finding = await model_input_check(model, texts)
    except Exception as exc:
        logger.warning("The input guardrail failed", exc_info=True)
        finding = GuardrailFinding(
            INJECTION_GUARDRAIL,
            GUARDRAIL_FAILED.format(
                guardrail=INJECTION_GUARDRAIL,
                error=type(exc).__name__,
                effect="the run goes on without the money tools",
            ),
        )
    return finding


async def run_disabled_tools(task: Task, guard_model: Model | None = None) -> tuple[str, ...]:
    disabled, texts = await sync_to_async(_allowed)(task)
    finding = await input_finding(texts, guard_model)
    if finding is None:
        return disabled
    off = [tool for tool in MONEY_TOOLS if tool not in disabled]
    await sync_to_async(task_mark_for_review)(
        task_id=task.pk,
        guardrail=finding.guardrail,
        reason=finding.reason,
        tools_off=list(MONEY_TOOLS),
    )
    return (*disabled, *off)
