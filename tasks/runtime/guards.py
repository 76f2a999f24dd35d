"""What a run may use, decided when it starts: the tools its starter and ticket allow
(tasks.task_selectors.task_disabled_tools), less the money tools when an input guardrail flags
what the customer wrote (tasks.agents.guardrails). A guardrail that fails counts as flagged:
the run goes on without the money tools and the task is marked for review (fail closed)."""

from __future__ import annotations

import logging

from tasks.agents.guardrails import INJECTION_GUARDRAIL, injection_check
from tasks.models import Task
from tasks.services.task_lifecycle import task_mark_for_review
from tasks.task_selectors import REFUND_TOOL, task_customer_texts, task_disabled_tools

logger = logging.getLogger(__name__)

MONEY_TOOLS = (REFUND_TOOL,)
GUARDRAIL_FAILED = (
    "The {guardrail} guardrail failed ({error}): the run goes on without the money tools, and a"
    " person should review the task."
)


def run_disabled_tools(task: Task) -> tuple[str, ...]:
    disabled = list(task_disabled_tools(task=task))
    try:
        finding = injection_check(task_customer_texts(task=task))
        guardrail, reason = (finding.guardrail, finding.reason) if finding else ("", "")
    except Exception as exc:
        logger.warning("The input guardrail of task %s failed", task.pk, exc_info=True)
        guardrail = INJECTION_GUARDRAIL
        reason = GUARDRAIL_FAILED.format(guardrail=guardrail, error=type(exc).__name__)
    if guardrail:
        off = [tool for tool in MONEY_TOOLS if tool not in disabled]
        disabled.extend(off)
        task_mark_for_review(
            task_id=task.pk, guardrail=guardrail, reason=reason, tools_off=list(MONEY_TOOLS)
        )
    return tuple(disabled)
