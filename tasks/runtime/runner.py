"""One run of a claimed task: ``Runner.run_streamed`` with the support agent, stream events
mapped to task events, and the run's end recorded (completed, paused for approval, cancelled or
failed with a readable reason)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from agents import (
    Agent,
    Model,
    ModelSettings,
    RunConfig,
    Runner,
    RunState,
    ToolExecutionConfig,
    trace,
)
from agents.items import TResponseInputItem
from agents.models.openai_responses import OpenAIResponsesModel
from agents.result import RunResultStreaming
from asgiref.sync import sync_to_async
from django.conf import settings

from tasks.agents.tools import APPROVAL_PREPARERS, TODO_TOOL_NAMES, tool_error_formatter
from tasks.event_factories import (
    usage_updated_event,
)
from tasks.events import EventWrite
from tasks.models import ApprovalRequest, Task
from tasks.runtime.errors import describe_run_error
from tasks.runtime.progress import RunProgress, plain
from tasks.runtime.recorder import EventRecorder
from tasks.runtime.resume import interruption_call_id, interruption_tool_name
from tasks.runtime.stream_mapping import StreamMapper
from tasks.runtime.tracing import SpanSink, approval_wait_span, task_traces, traces_enabled
from tasks.runtime.writer import get_writer
from tasks.services.approval_actions import Action, PreparedAction
from tasks.services.task_finish import (
    ONE_REQUEST_PER_SUBJECT,
    ApprovalConflict,
    ApprovalSpec,
    cancelled_write,
    completed_write,
    failed_write,
    run_guard,
    task_finish_awaiting_approval,
)
from tasks.services.traces import task_spans_store
from tasks.services.usage import usage_cost
from tools_app.agent_tools.base import encode, parse_arguments
from tools_app.agent_tools.context import SupportContext
from tools_app.errors import ApplicationError

logger = logging.getLogger(__name__)


class ApprovalWait(Protocol):
    """A decided approval request (tasks.models.ApprovalRequest) as the trace reads it."""

    tool_name: str
    status: str
    created_at: datetime
    decided_at: datetime | None


def run_config(model_settings: ModelSettings | None = None) -> RunConfig:
    """An unknown tool name gets an error result (the run goes on) instead of an exception.
    Tool input guardrails run before an approval pause as well: an invalid call is answered
    with its error and never reaches a person."""
    return RunConfig(
        workflow_name="AgentDesk task",
        model_settings=model_settings,
        tool_execution=ToolExecutionConfig(pre_approval_tool_input_guardrails=True),
        tool_not_found_behavior="return_error_to_model",
        tool_error_formatter=tool_error_formatter,
        # Task runs are traced into their own trace (TaskRun.execute); nothing else is. The
        # SDK's per-run and per-turn spans are left out: the agent span is each run's root and
        # the model-call spans carry each turn's tokens (two spans fewer to make per turn).
        tracing_disabled=not traces_enabled() and not settings.OPENAI_API_KEY,
        tracing={"include_task_and_turn_spans": False},
    )


def run_input(task: Task, model: Model) -> tuple[str | list[TResponseInputItem], str | None]:
    """What the run starts from, and the ``previous_response_id`` to continue from.

    A first run starts from the task input; a follow-up (or a retry) from the stored history,
    which ends with the newest user message. A run whose worker died goes on from the history
    saved at its last turn (``tasks.runtime.progress``; no response id then: it is replayed).
    On the Responses API the server already holds the conversation: only the new message is
    sent, with the previous response id."""
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
        main_agent: str = "",
        input: str | list[TResponseInputItem] | RunState[SupportContext, Any],
        previous_response_id: str | None = None,
        config: RunConfig | None = None,
        on_turns_done: Callable[[], None] | None = None,
        approval_waits: Sequence[ApprovalWait] = (),
        disabled_tools: Sequence[str] = (),
    ) -> None:
        self.task = task
        # Tools this run may not use (tasks.agents.tools.access.task_disabled_tools).
        self.disabled_tools = tuple(disabled_tools)
        # The decisions this run resumes from: their waits go in the trace.
        self.approval_waits = list(approval_waits)
        # Called once the run's model turns are over (the worker's pacing lets go of it).
        self.on_turns_done = on_turns_done
        self.owner = owner
        self.agent = agent
        self.model_name = model_name
        self.input = input
        self.previous_response_id = previous_response_id
        # On the Responses API only the newest message is sent: the rest of the stored history
        # is kept in front of what this run adds.
        history = list(task.history or [])
        self.history_prefix = history[:-1] if previous_response_id and history else []
        # Built once per worker (building one costs about half a millisecond).
        self.config = config or run_config()
        self.recorder = EventRecorder(
            task.pk,
            guard=run_guard(owner),
            on_cancel=self._cancel_requested,
        )
        # The agent the task is given to (the support agent); a specialist's calls are named.
        self.main_agent = main_agent or agent.name
        self.mapper = StreamMapper(
            self.recorder, hidden_tools=TODO_TOOL_NAMES, main_agent=self.main_agent
        )
        self.max_turns = settings.AGENT_MAX_TURNS
        self.spans = (
            SpanSink(task_id=task.pk, run_number=task.run_number) if traces_enabled() else None
        )
        self.cancelled = False
        # The run paused and an autonomy policy decided every request: resume right away.
        self.requeued = False
        self._result: RunResultStreaming | None = None
        self._usage = (task.input_tokens, task.output_tokens)
        self._base_usage = self._usage
        if isinstance(input, RunState):
            self._prepare_resume(input)
        # The conversation so far, saved at every turn boundary: a worker that dies mid-run is
        # resumed from it (a resumed saved state is its own record).
        self.progress = RunProgress(
            task.pk,
            prefix=self.history_prefix,
            input=None if isinstance(input, RunState) else input,
        )

    def context(self) -> SupportContext:
        ticket = self.task.ticket
        return SupportContext(
            task_id=self.task.pk,
            ticket_id=self.task.ticket_id,
            customer_id=ticket.customer_id if ticket is not None else None,
            user_id=self.task.created_by_id,
            run_number=self.task.run_number,
            disabled_tools=self.disabled_tools,
        )

    @property
    def resuming(self) -> bool:
        return isinstance(self.input, RunState)

    def _prepare_resume(self, state: RunState[SupportContext, Any]) -> None:
        # The paused calls' results arrive first in this run: record them as their tools'.
        for item in state.get_interruptions():
            self.mapper.expect(interruption_call_id(item), interruption_tool_name(item))

    def request_cancel(self) -> None:
        """Stop after the current turn (the SDK finishes its tool calls, then stops)."""
        self.cancelled = True
        if self._result is not None:
            self._result.cancel(mode="after_turn")

    async def execute(self) -> str:
        """Runs and records the outcome; returns the task's new status. The run is traced as
        one trace of its own (its spans are written with its events)."""
        sink = self.spans
        if sink is None:
            return await self._execute()
        task_traces.watch(sink)
        try:
            with trace(
                "AgentDesk task",
                trace_id=sink.trace_id,
                group_id=f"task-{self.task.pk}",
                metadata={"task_id": str(self.task.pk), "run_number": str(self.task.run_number)},
            ):
                for wait in self.approval_waits:
                    approval_wait_span(
                        tool=wait.tool_name,
                        decision=wait.status,
                        requested_at=wait.created_at,
                        decided_at=wait.decided_at,
                    )
                return await self._execute()
        finally:
            task_traces.unwatch(sink)
            left = sink.take()
            if left:
                try:
                    await sync_to_async(task_spans_store)(task_id=self.task.pk, spans=left)
                except Exception:
                    logger.warning("Trace of task %s not stored", self.task.pk, exc_info=True)

    async def _execute(self) -> str:
        input: Any = self.input
        resuming = self.resuming
        while True:
            result = Runner.run_streamed(
                self.agent,
                input,
                context=self.context(),
                max_turns=self.max_turns,
                run_config=self.config,
                # A saved state carries its own conversation settings.
                previous_response_id=None if resuming else self.previous_response_id,
            )
            self._result = result
            if resuming and input is self.input:
                # The saved state carries the usage of the run so far, already counted on the
                # task; nothing has streamed yet, so the result's usage is still that.
                saved = result.context_wrapper.usage
                self._base_usage = (
                    max(0, self._usage[0] - saved.input_tokens),
                    max(0, self._usage[1] - saved.output_tokens),
                )
            if self.cancelled:
                result.cancel(mode="after_turn")
            try:
                async for event in result.stream_events():
                    self.progress.track(event)
                    if await self.mapper.handle(event):
                        await self._flush(result)
            except Exception as exc:
                self._turns_done()
                logger.info("Task %s run failed: %r", self.task.pk, exc)
                current = getattr(getattr(result, "current_agent", None), "name", "")
                reason = describe_run_error(
                    exc,
                    max_turns=self.max_turns,
                    agent=current if current and current != self.main_agent else "",
                )
                await self._end(result, failed_write, Task.Status.FAILED, reason=reason)
                return Task.Status.FAILED
            if result.interruptions:
                await self._flush(result)
                # The settled write tells whether staff cancelled meanwhile: then nobody is
                # asked to approve a call of a cancelled task (it ends cancelled below).
                await self.recorder.settle()
                if not self.cancelled:
                    state = result.to_state()
                    if await self._pause(result, state):
                        self._turns_done()
                        return Task.Status.AWAITING_APPROVAL
                    # Every paused call was refused with its error: the run goes on.
                    input, resuming = state, True
                    continue
            self._turns_done()
            return await self._finish(result)

    async def _pause(
        self, result: RunResultStreaming, state: RunState[SupportContext, Any]
    ) -> bool:
        """Asks a person about each paused call that may be asked for, and answers the others
        with their error (the SDK's reject with a message). True if the task now waits."""
        specs: list[tuple[Any, ApprovalSpec]] = []
        for _ in range(3):
            specs, subjects = [], set()
            for item in result.interruptions:
                try:
                    spec = await self._approval_spec(item)
                    subject = spec.prepared.subject
                    if subject and subject in subjects:
                        raise ApplicationError(ONE_REQUEST_PER_SUBJECT, {"field": "order_number"})
                    subjects.add(subject)
                    specs.append((item, spec))
                except ApplicationError as exc:
                    state.reject(item, rejection_message=encode(exc.as_dict()))
            if not specs:
                return False
            try:
                requests = await sync_to_async(task_finish_awaiting_approval)(
                    task_id=self.task.pk,
                    owner=self.owner,
                    run_state=state.to_json(context_serializer=SupportContext.serialize),
                    approvals=[spec for _, spec in specs],
                )
            except ApprovalConflict:
                # Another task's request took one of the orders meanwhile: ask again, and
                # that call is now refused with the reason.
                continue
            # An autonomy policy decided every request: the task is queued again at once.
            self.requeued = bool(requests) and all(
                r.status == ApprovalRequest.Status.APPROVED for r in requests
            )
            return True
        for item, _ in specs:
            state.reject(item, rejection_message=encode({"error": ONE_REQUEST_PER_SUBJECT}))
        return False

    def _turns_done(self) -> None:
        # What is left is writing the outcome: other runs may have the CPU for their turns.
        if self.on_turns_done is not None:
            self.on_turns_done()

    def _cancel_requested(self) -> None:
        if not self.cancelled:
            self.request_cancel()

    async def _flush(self, result: RunResultStreaming) -> None:
        self._record_usage(result)
        if self.spans is not None and self.spans.records:
            self.recorder.add_spans(self.spans.take())
        # The history saved at this boundary goes in the same guarded write as its events.
        settled = not self.mapper.outstanding_calls
        self.recorder.update_task(**self.progress.updates(settled=settled))
        await self.recorder.flush()

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
            *usage_updated_event(input_tokens=totals[0], output_tokens=totals[1], cost=cost)
        )
        self.recorder.update_task(input_tokens=totals[0], output_tokens=totals[1], cost=cost)

    async def _end(
        self, result: RunResultStreaming, build: Callable[..., EventWrite], status: str, **kw: Any
    ) -> str:
        """Writes the run's last events and its end in one guarded write."""
        self._record_usage(result)
        await self.recorder.settle()
        events, updates, spans = self.recorder.take()
        if self.spans is not None:
            spans += self.spans.take()
        write = build(task_id=self.task.pk, owner=self.owner, events=events, **kw)
        write.updates = {**updates, **write.updates}
        write.spans = spans
        await get_writer().write(write)
        return status

    async def _finish(self, result: RunResultStreaming) -> str:
        output = result.final_output
        if output is None and self.cancelled:
            return await self._end(result, cancelled_write, Task.Status.CANCELLED)
        if output is None:
            final = ""
        else:
            final = output if isinstance(output, str) else json.dumps(output, default=str)
        return await self._end(
            result,
            completed_write,
            Task.Status.COMPLETED,
            final_output=final,
            history=self.history_prefix + plain(result.to_input_list()),
            previous_response_id=result.last_response_id or "",
        )

    async def _approval_spec(self, item: Any) -> ApprovalSpec:
        """The request for one paused call, or ``ApplicationError`` if it may not be asked
        for: arguments that are not a strict JSON object, or a call its tool refuses."""
        raw = item.raw_item
        name = interruption_tool_name(item)
        call_id = interruption_call_id(item)
        arguments = parse_arguments(str(getattr(raw, "arguments", "") or ""))
        context = self.context()
        prepare = APPROVAL_PREPARERS.get(name)
        if prepare is not None:
            prepared = await prepare(context, arguments)
        else:
            prepared = PreparedAction(
                action=Action(
                    tool_name=name,
                    arguments=arguments,
                    task_id=context.task_id,
                    run_number=context.run_number,
                ),
                summary=f"{name}({json.dumps(arguments)[:200]})",
                reason="",
            )
        return ApprovalSpec(
            tool_name=name,
            call_id=call_id,
            arguments=arguments,
            prepared=prepared,
        )
