"""What specialists and guardrails cost per turn: the same ticket task through a worker with
both off (one agent with every tool, no guardrail checks) and both on (the support agent
hands the case to the billing specialist on its first turn; the input guardrail reads the
customer's text at the start; the output guardrail checks the reply), run after run in
turns so the machine's noise weighs on both alike. The model is scripted and answers at once:
what remains is our orchestration."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from agents import Agent, Model
from asgiref.sync import sync_to_async
from django.db.models import Max
from django.test import override_settings
from django.utils import timezone
from openai.types.responses import ResponseFunctionToolCall

from tasks.agents.support import build_agent
from tasks.benchmarks.runtime import MODEL_NAME, BenchModel, check_order
from tasks.events import TaskEventType, events_store
from tasks.models import Task, Ticket
from tasks.runtime.worker import TaskWorker
from tools_app.agent_tools.context import SupportContext
from tools_app.models import Customer

HANDOFF_TOOL = "hand_to_billing_specialist"
REPLY = "We looked at your account and a colleague will follow up on the charge today."


class AgentsBenchModel(BenchModel):
    """Turn 1 hands the case to the billing specialist (with specialists; else it checks an
    order like the turns after it), the turn before last replies to the customer, the last
    one ends the run."""

    def __init__(self, turns: int, *, handoff: bool) -> None:
        super().__init__(turns)
        self.handoff = handoff

    def _output(self) -> list[Any]:
        index = len(self.calls) - 1
        call = None
        if index == 0 and self.handoff:
            call = (HANDOFF_TOOL, "{}")
        elif index == self.turns - 2:
            call = ("reply_to_customer", '{"body": "' + REPLY + '"}')
        if call is None:
            return super()._output()
        return [
            ResponseFunctionToolCall(
                id=f"fc-{index}",
                call_id=f"call-{index}",
                type="function_call",
                name=call[0],
                arguments=call[1],
            )
        ]


def _agent(model: Model) -> Agent[SupportContext]:
    return build_agent(model, extra_tools=[check_order])


def create_ticket_tasks(count: int) -> list[int]:
    customer, _ = Customer.objects.get_or_create(
        email="bench@example.com",
        defaults={"name": "Bench Customer", "username": "bench", "created_at": timezone.now()},
    )
    ids = []
    first = max(900_000, (Ticket.objects.aggregate(top=Max("number"))["top"] or 0) + 1)
    for i in range(count):
        ticket = Ticket.objects.create(
            number=first + i,
            customer=customer,
            subject="Charged twice",
            body="I was charged twice for my subscription this month.",
            category=Ticket.Category.BILLING,
            created_at=timezone.now(),
        )
        task = Task.objects.create(
            title=f"Benchmark ticket {i}", ticket=ticket, input="Benchmark ticket", model=MODEL_NAME
        )
        events_store(task_id=task.pk, events=[(TaskEventType.TASK_CREATED, {"status": "queued"})])
        ids.append(task.pk)
    return ids


async def _no_finding(*args: Any, **kwargs: Any) -> None:
    return None


@contextlib.contextmanager
def agents_mode(on: bool) -> Iterator[None]:
    """Specialists and guardrails both on (as configured by default) or both off (measurement
    only: there is no setting that switches the guardrails off)."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(override_settings(AGENT_SPECIALISTS=on))
        if not on:
            stack.enter_context(mock.patch("tasks.runtime.guards.input_finding", _no_finding))
            stack.enter_context(
                mock.patch("tasks.agents.tools.tickets._reply_finding", _no_finding)
            )
        yield


@dataclass
class AgentsOverhead:
    off: list[float] = field(default_factory=list)
    on: list[float] = field(default_factory=list)
    completed: int = 0
    runs: int = 0


async def _run(model: AgentsBenchModel, task_id: int) -> None:
    worker = TaskWorker(
        model_factory=functools.partial(lambda m: (m, MODEL_NAME), model),
        agent_factory=_agent,
        concurrency=1,
    )
    worker.wake(task_id)
    await worker.join()


def _completed(ids: list[int]) -> int:
    return Task.objects.filter(pk__in=ids, status=Task.Status.COMPLETED).count()


async def measure_agents(*, turns: int, runs: int) -> AgentsOverhead:
    """Per-turn durations with specialists and guardrails off and on, alternating runs."""
    turns = max(3, turns)
    off_ids = await sync_to_async(create_ticket_tasks)(runs)
    on_ids = await sync_to_async(create_ticket_tasks)(runs)
    result = AgentsOverhead(runs=2 * runs)
    for off_id, on_id in zip(off_ids, on_ids, strict=True):
        for on, task_id, into in ((False, off_id, result.off), (True, on_id, result.on)):
            with agents_mode(on):
                model = AgentsBenchModel(turns, handoff=on)
                await _run(model, task_id)
                into.extend(model.turn_durations_ms())
    result.completed = await sync_to_async(_completed)([*off_ids, *on_ids])
    return result
