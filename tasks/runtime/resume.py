"""Resuming a run that paused for approval, in whichever worker claims it.

The saved SDK state (``Task.run_state``, format ``RUN_STATE_VERSION``) is the only copy of the
paused run: it is loaded with ``RunState.from_json``, each paused call gets its person's decision
(``approve``, or ``reject`` with the approver's note as the tool result), and the worker runs it
on with ``Runner.run_streamed(agent, state)``. A state that cannot be loaded fails the task with
a readable reason: nothing paused in it ever runs, so no refund is made.

Each paused call is matched to its decision by the action it would take: the digest of its
tool, canonical arguments, task and run must equal a decided request's (the call id alone is
not enough: ids repeat across runs). A call with no matching decision is left undecided, so
the run pauses on it again and a new request is made; nothing is ever approved by a decision
about something else.

A resume is single-use through the claim (a guarded ``queued -> running`` update): a wake-up
delivered twice finds the task already running. The state is kept until the run ends, so a
worker that dies mid-resume is recovered like any other (lease expiry) and resumes again; the
approval's refund is then the refund already made."""

from __future__ import annotations

import json
from typing import Any

from agents import Agent, RunState
from asgiref.sync import sync_to_async

from tasks.agents.tools import APPROVAL_ACTIONS
from tasks.approval_selectors import approval_decisions
from tasks.models import ApprovalRequest, Task
from tasks.services.approval_actions import Action
from tasks.services.approvals import approval_rejection_message
from tasks.services.task_finish import RUN_STATE_VERSION
from tools_app.agent_tools.base import parse_arguments
from tools_app.agent_tools.context import SupportContext
from tools_app.errors import ApplicationError

RESUME_FAILED = (
    "The paused run could not be resumed: {detail}. Nothing it was waiting for was done (no"
    " refund was made); Retry starts the investigation again."
)
STATE_VERSION = "it was saved in format version {found}, this worker reads version {expected}"
STATE_NOT_JSON = "the saved run state is not valid JSON"
STATE_REJECTED = "the agent SDK could not load the saved run state ({detail})"
STATE_OTHER_TASK = "the saved run state belongs to another task"
STATE_NOTHING_PAUSED = "the saved run state has no paused tool call"
CALL_UNDECIDED = "the tool call {call_id} is still waiting for a decision"


class ResumeError(Exception):
    """A saved run that cannot be resumed; ``reason`` is the task's failure reason."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.reason = RESUME_FAILED.format(detail=detail)


def interruption_call_id(item: Any) -> str:
    raw = item.raw_item
    value = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", None)
    if not value:
        value = raw.get("id") if isinstance(raw, dict) else getattr(raw, "id", None)
    return str(value or "")


def interruption_tool_name(item: Any) -> str:
    raw = item.raw_item
    name = getattr(item, "tool_name", None)
    if not name:
        name = raw.get("name") if isinstance(raw, dict) else getattr(raw, "name", None)
    return str(name or "")


async def resume_state_load(
    task: Task,
    agent: Agent[SupportContext],
    *,
    decided: list[ApprovalRequest] | None = None,
) -> RunState[SupportContext, Agent[Any]]:
    """The task's saved run with every paused call approved or rejected as decided.

    Raises ``ResumeError`` for a state of another format version, corrupt JSON, a state the
    SDK refuses (schema mismatch, unknown agent), one of another task, or a paused call
    without a decision. The decisions applied are added to ``decided``."""
    if task.run_state_version != RUN_STATE_VERSION:
        raise ResumeError(
            STATE_VERSION.format(found=task.run_state_version, expected=RUN_STATE_VERSION)
        )
    try:
        data = json.loads(task.run_state)
    except ValueError as exc:
        raise ResumeError(STATE_NOT_JSON) from exc
    if not isinstance(data, dict):
        raise ResumeError(STATE_NOT_JSON)
    contexts: list[SupportContext] = []

    def deserialize(data: Any) -> SupportContext:
        context = SupportContext.deserialize(data)
        contexts.append(context)
        return context

    try:
        state: RunState[Any, Agent[Any]] = await RunState.from_json(
            agent, data, context_deserializer=deserialize
        )
    except Exception as exc:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ResumeError(STATE_REJECTED.format(detail=detail)) from exc
    context = contexts[-1] if contexts else None
    if context is None or context.task_id != task.pk:
        raise ResumeError(STATE_OTHER_TASK)
    interruptions = state.get_interruptions()
    if not interruptions:
        raise ResumeError(STATE_NOTHING_PAUSED)
    decisions = await sync_to_async(approval_decisions)(task_id=task.pk)
    for item in interruptions:
        call_id = interruption_call_id(item)
        digest = await _call_digest(item, context)
        approval = decisions.get((call_id, digest)) if digest else None
        if approval is None:
            continue  # no decision about this exact action: the run asks again
        if approval.status == ApprovalRequest.Status.PENDING:
            raise ResumeError(CALL_UNDECIDED.format(call_id=call_id))
        if decided is not None:
            decided.append(approval)
        if approval.status == ApprovalRequest.Status.APPROVED:
            state.approve(item)
        else:
            state.reject(item, rejection_message=approval_rejection_message(approval))
    return state


async def _call_digest(item: Any, context: SupportContext) -> str:
    """The digest of the action a paused call would take ("" if it is not a valid call)."""
    name = interruption_tool_name(item)
    raw = item.raw_item
    text = raw.get("arguments") if isinstance(raw, dict) else getattr(raw, "arguments", "")
    try:
        arguments = parse_arguments(str(text or ""))
        canonical = APPROVAL_ACTIONS.get(name)
        if canonical is None:
            return Action(name, arguments, context.task_id, context.run_number).digest
        return (await canonical(context, arguments)).digest
    except ApplicationError:
        return ""
