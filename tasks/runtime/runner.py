"""One run of a claimed task: ``Runner.run_streamed`` with the support agent, stream events
mapped to task events, and the run's end recorded (completed, paused for approval, cancelled or
failed with a readable reason)."""

from __future__ import annotations

import json
import logging
from typing import Any

from agents import Agent, Model, RunConfig, Runner
from agents.items import TResponseInputItem
from agents.models.openai_responses import OpenAIResponsesModel
from agents.result import RunResultStreaming
from asgiref.sync import sync_to_async
from django.conf import settings

from tasks.agents.context import SupportContext
from tasks.events import TaskEventType
from tasks.models import Task
from tasks.runtime.errors import describe_run_error
from tasks.runtime.recorder import EventRecorder
from tasks.runtime.stream_mapping import StreamMapper, parse_json
from tasks.runtime.usage import usage_cost
from tasks.services.task_finish import (
    ApprovalSpec,
    task_finish_awaiting_approval,
    task_finish_cancelled,
    task_finish_completed,
    task_finish_failed,
)
from tools_app.agent_tools import APPROVAL_DESCRIBERS, TODO_TOOL_NAMES, tool_error_formatter

logger = logging.getLogger(__name__)


def run_config() -> RunConfig:
    """An unknown tool name gets an error result (the run goes on) instead of an exception."""
    return RunConfig(
        workflow_name="AgentDesk task",
        tool_not_found_behavior="return_error_to_model",
        tool_error_formatter=tool_error_formatter,
        tracing_disabled=not settings.OPENAI_API_KEY,
    )


def run_input(task: Task, model: Model) -> tuple[str | list[TResponseInputItem], str | None]:
    """What the run starts from, and the ``previous_response_id`` to continue from.

    A first run starts from the task input; a follow-up (or a retry) from the stored history,
    which ends with the newest user message. On the Responses API the server already holds
    the conversation: only the new message is sent, with the previous response id."""
    history = list(task.history or [])
    if not history:
        return task.input, None
    if isinstance(model, OpenAIResponsesModel) and task.previous_response_id:
        return [history[-1]], task.previous_response_id
    return history, None


class TaskRun:
    """Runs one claimed task to the end of this run. ``request_cancel`` (from the heartbeat)
    stops it after the current turn."""

    def __init__(
        self,
        task: Task,
        *,
        owner: str,
        agent: Agent[SupportContext],
        model_name: str,
        input: str | list[TResponseInputItem],
        previous_response_id: str | None = None,
    ) -> None:
        self.task = task
        self.owner = owner
        self.agent = agent
        self.model_name = model_name
        self.input = input
        self.previous_response_id = previous_response_id
        self.recorder = EventRecorder(task.pk)
        self.mapper = StreamMapper(self.recorder, hidden_tools=TODO_TOOL_NAMES)
        self.max_turns = settings.AGENT_MAX_TURNS
        self.cancelled = False
        self._result: RunResultStreaming | None = None
        self._usage = (task.input_tokens, task.output_tokens)
        self._base_usage = self._usage

    def context(self) -> SupportContext:
        ticket = self.task.ticket
        return SupportContext(
            task_id=self.task.pk,
            ticket_id=self.task.ticket_id,
            customer_id=ticket.customer_id if ticket is not None else None,
            user_id=self.task.created_by_id,
        )

    def request_cancel(self) -> None:
        """Stop after the current turn (the SDK finishes its tool calls, then stops)."""
        self.cancelled = True
        if self._result is not None:
            self._result.cancel(mode="after_turn")

    async def execute(self) -> str:
        """Runs and records the outcome; returns the task's new status."""
        result = Runner.run_streamed(
            self.agent,
            self.input,
            context=self.context(),
            max_turns=self.max_turns,
            run_config=run_config(),
            previous_response_id=self.previous_response_id,
        )
        self._result = result
        if self.cancelled:
            result.cancel(mode="after_turn")
        try:
            async for event in result.stream_events():
                if await self.mapper.handle(event):
                    await self._flush(result)
        except Exception as exc:
            logger.info("Task %s run failed: %r", self.task.pk, exc)
            await self._flush(result)
            reason = describe_run_error(exc, max_turns=self.max_turns)
            await sync_to_async(task_finish_failed)(
                task_id=self.task.pk, owner=self.owner, reason=reason
            )
            return Task.Status.FAILED
        await self._flush(result)
        return await self._finish(result)

    async def _flush(self, result: RunResultStreaming) -> None:
        self._record_usage(result)
        if await self.recorder.flush() and not self.cancelled:
            self.request_cancel()

    def _record_usage(self, result: RunResultStreaming) -> None:
        usage = result.context_wrapper.usage
        totals = (
            self._base_usage[0] + usage.input_tokens,
            self._base_usage[1] + usage.output_tokens,
        )
        if totals == self._usage:
            return
        self._usage = totals
        cost = usage_cost(
            model_name=self.model_name, input_tokens=totals[0], output_tokens=totals[1]
        )
        self.recorder.add(
            TaskEventType.USAGE_UPDATED,
            {
                "input_tokens": totals[0],
                "output_tokens": totals[1],
                "total_tokens": totals[0] + totals[1],
                "cost": str(cost),
            },
        )
        self.recorder.update_task(input_tokens=totals[0], output_tokens=totals[1], cost=cost)

    async def _finish(self, result: RunResultStreaming) -> str:
        task_id, owner = self.task.pk, self.owner
        if result.interruptions:
            approvals = [await self._approval_spec(item) for item in result.interruptions]
            await sync_to_async(task_finish_awaiting_approval)(
                task_id=task_id,
                owner=owner,
                run_state=result.to_state().to_json(),
                approvals=approvals,
            )
            return Task.Status.AWAITING_APPROVAL
        if result.final_output is None and self.cancelled:
            await sync_to_async(task_finish_cancelled)(task_id=task_id, owner=owner)
            return Task.Status.CANCELLED
        output = result.final_output
        if output is None:
            final = ""
        else:
            final = output if isinstance(output, str) else json.dumps(output, default=str)
        await sync_to_async(task_finish_completed)(
            task_id=task_id,
            owner=owner,
            final_output=final,
            history=json.loads(json.dumps(result.to_input_list(), default=str)),
            previous_response_id=result.last_response_id or "",
        )
        return Task.Status.COMPLETED

    async def _approval_spec(self, item: Any) -> ApprovalSpec:
        raw = item.raw_item
        name = str(getattr(item, "tool_name", None) or getattr(raw, "name", ""))
        call_id = str(getattr(raw, "call_id", None) or getattr(raw, "id", ""))
        arguments = parse_json(str(getattr(raw, "arguments", "") or ""))
        arguments = arguments if isinstance(arguments, dict) else {}
        describe = APPROVAL_DESCRIBERS.get(name)
        if describe is not None:
            summary, reason = await describe(self.context(), arguments)
        else:
            summary, reason = f"{name}({json.dumps(arguments)[:200]})", ""
        return ApprovalSpec(
            tool_name=name, call_id=call_id, arguments=arguments, summary=summary, reason=reason
        )
