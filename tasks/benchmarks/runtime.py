"""Measurements behind ``manage.py bench`` (the command formats them).

The model is a lean scripted ``Model``: ``turns - 1`` turns that each call ``check_order``, then
a final message. It builds one ``response.completed`` event per turn and records when each call
starts, so a turn is timed between consecutive model calls. ``agents.testing.ScriptedModel``
would do the same but deep-copies the whole conversation on every call, which would dominate
what is measured here. ``check_order`` is a support tool that does no I/O: tool work is the same
with or without the runtime, and this measures the runtime (the support agent's instructions
and the real support tools' schemas are still sent on every turn).

Each phase also records the process's CPU time (all threads): with many tasks moving at once a
single process is bound by it long before the model delay, since Python runs on one core at a
time (the GIL)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from agents import (
    Agent,
    Model,
    ModelResponse,
    RunContextWrapper,
    Runner,
    Usage,
    set_tracing_disabled,
)
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import override_settings
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from tasks.agents.support import build_agent
from tasks.events import TaskEventType, events_store
from tasks.models import Task, TaskEvent
from tasks.runtime.pacing import PacedModel, TurnGate
from tasks.runtime.tracing import tracing_install
from tasks.runtime.worker import TaskWorker
from tools_app.agent_tools.base import support_tool
from tools_app.agent_tools.context import SupportContext

MODEL_NAME = "bench-scripted"
_USAGE = ResponseUsage(
    input_tokens=0,
    output_tokens=0,
    total_tokens=0,
    input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
    output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
)


class BenchModel(Model):
    """One instance per run (it counts its turns)."""

    def __init__(self, turns: int, delay: float = 0.0) -> None:
        self.turns, self.delay = turns, delay
        self.calls: list[float] = []

    def _output(self) -> list[Any]:
        index = len(self.calls) - 1
        if index >= self.turns - 1:
            text = ResponseOutputText(
                text="Benchmark run finished.", type="output_text", annotations=[]
            )
            return [
                ResponseOutputMessage(
                    id=f"msg-{index}",
                    type="message",
                    role="assistant",
                    status="completed",
                    content=[text],
                )
            ]
        return [
            ResponseFunctionToolCall(
                id=f"fc-{index}",
                call_id=f"call-{index}",
                type="function_call",
                name="check_order",
                arguments='{"order_number": "ORD-10001"}',
            )
        ]

    async def _start(self) -> list[Any]:
        self.calls.append(time.perf_counter())
        if self.delay:
            await asyncio.sleep(self.delay)
        return self._output()

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        output = await self._start()
        return ModelResponse(output=output, usage=Usage(requests=1), response_id=None)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        output = await self._start()
        response = Response(
            id=f"bench-{len(self.calls)}",
            created_at=0,
            model=MODEL_NAME,
            object="response",
            output=output,
            tool_choice="auto",
            tools=[],
            parallel_tool_calls=True,
            usage=_USAGE,
            status="completed",
        )
        yield ResponseCompletedEvent(
            type="response.completed", sequence_number=0, response=response
        )

    def turn_durations_ms(self) -> list[float]:
        return [(b - a) * 1000 for a, b in zip(self.calls, self.calls[1:], strict=False)]


@support_tool
async def check_order(ctx: RunContextWrapper[SupportContext], order_number: str) -> dict[str, Any]:
    """Check an order (benchmark stand-in for a tool: no I/O).

    Args:
        order_number: The order number.
    """
    return {"order": {"number": order_number, "status": "paid", "amount": "19.00"}}


_bench_base: Agent[SupportContext] | None = None


def bench_agent(model: Model) -> Agent[SupportContext]:
    """The support agent with ``check_order`` added, on ``model``: one clone per run, as the
    worker's ``build_agent`` makes (a clone costs about a millisecond)."""
    global _bench_base
    if _bench_base is None:
        agent = build_agent(MODEL_NAME)
        _bench_base = agent.clone(tools=[*agent.tools, check_order])
    return _bench_base.clone(model=model)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def create_tasks(count: int) -> list[int]:
    tasks = Task.objects.bulk_create(
        Task(title=f"Benchmark {i}", input="Benchmark request", model=MODEL_NAME)
        for i in range(count)
    )
    for task in tasks:
        events_store(task_id=task.pk, events=[(TaskEventType.TASK_CREATED, {"status": "queued"})])
    return [task.pk for task in tasks]


def _completed(ids: list[int]) -> tuple[int, int]:
    done = Task.objects.filter(pk__in=ids, status=Task.Status.COMPLETED).count()
    return done, TaskEvent.objects.filter(task_id__in=ids).count()


@dataclass
class Overhead:
    bare: list[float] = field(default_factory=list)
    streamed: list[float] = field(default_factory=list)
    full: list[float] = field(default_factory=list)
    fixed: list[float] = field(default_factory=list)
    # The full system with stored traces off (the others trace as a worker does by default).
    untraced: list[float] = field(default_factory=list)


@contextmanager
def tracing(on: bool) -> Iterator[None]:
    """Runs traced as a worker's are (stored traces, nothing exported) or not traced at all
    (as the bare SDK runs are measured)."""
    with override_settings(TRACES_ENABLED=on, OTEL_EXPORTER_OTLP_ENDPOINT=""):
        if on:
            tracing_install(export_to_openai=False)
        else:
            set_tracing_disabled(True)
        yield


async def _bare_run(model: BenchModel, context: SupportContext) -> None:
    await Runner.run(
        bench_agent(model), "Benchmark request", context=context, max_turns=model.turns
    )


async def _bare_streamed_run(
    model: BenchModel, context: SupportContext, gate: TurnGate | None = None
) -> None:
    """``Runner.run_streamed`` with every event consumed and nothing recorded: the SDK's own
    cost on the worker's code path; with ``gate``, taking turns as the worker's runs do."""
    paced = PacedModel(model, gate) if gate is not None else None
    if paced is not None:
        await paced.begin()
    try:
        result = Runner.run_streamed(
            bench_agent(paced or model), "Benchmark request", context=context, max_turns=model.turns
        )
        async for _ in result.stream_events():
            pass
    finally:
        if paced is not None:
            paced.end()


def _fixed_model(model: BenchModel) -> tuple[Model, str]:
    return model, MODEL_NAME


async def measure_overhead(*, turns: int, runs: int) -> Overhead:
    """Per-turn durations of bare ``Runner.run``, bare ``Runner.run_streamed`` and the full
    system, one run at a time. The three take turns (a bare run, a streamed run, a full run,
    then again), so a burst of other work on the machine weighs on all three alike."""
    (probe,) = await sync_to_async(create_tasks)(1)
    context = SupportContext(task_id=probe, ticket_id=None, customer_id=None, user_id=None)
    result = Overhead()
    task_ids = await sync_to_async(create_tasks)(runs)
    untraced_ids = await sync_to_async(create_tasks)(runs)
    for task_id, untraced_id in zip(task_ids, untraced_ids, strict=True):
        with tracing(False):
            model = BenchModel(turns)
            await _bare_run(model, context)
            result.bare += model.turn_durations_ms()
            model = BenchModel(turns)
            await _bare_streamed_run(model, context)
            result.streamed += model.turn_durations_ms()
            model = BenchModel(turns)
            await _full_run(model, untraced_id)
            result.untraced += model.turn_durations_ms()
        with tracing(True):
            model = BenchModel(turns)
            total = await _full_run(model, task_id)
            result.full += model.turn_durations_ms()
            result.fixed.append(total - sum(model.turn_durations_ms()))
    return result


async def _full_run(model: BenchModel, task_id: int) -> float:
    """One task through a worker of its own; its wall time in ms."""
    worker = TaskWorker(
        model_factory=functools.partial(_fixed_model, model),
        agent_factory=bench_agent,
        concurrency=1,
    )
    started = time.perf_counter()
    worker.wake(task_id)
    await worker.join()
    return (time.perf_counter() - started) * 1000


@dataclass(frozen=True)
class Phase:
    """One load: wall time from the first start to the last finish, and CPU time used."""

    wall: float
    cpu: float


@dataclass
class Throughput:
    tasks: int
    turns: int
    bare: Phase
    streamed: Phase
    paced: Phase
    full: Phase
    completed: int
    events: int
    # (paced, full) measured one after the other, the first pair being ``paced``/``full``.
    rounds: list[tuple[Phase, Phase]] = field(default_factory=list)

    @property
    def model_turns(self) -> int:
        return self.tasks * self.turns

    def ratios(self) -> list[float]:
        """The full system's wall time against the paced floor's, round by round."""
        pairs = self.rounds or [(self.paced, self.full)]
        return [full.wall / paced.wall for paced, full in pairs if paced.wall]

    def cpu_ms_per_turn(self, phase: Phase) -> float:
        return phase.cpu / self.model_turns * 1000


async def _timed(load: Callable[[], Awaitable[Any]]) -> Phase:
    cpu, started = time.process_time(), time.perf_counter()
    await load()
    return Phase(time.perf_counter() - started, time.process_time() - cpu)


async def _worker_load(ids: list[int], turns: int, delay: float, stagger: float) -> None:
    """Wakes ``ids`` in one worker: all at once, or spread evenly over ``stagger`` seconds."""
    worker = TaskWorker(
        model_factory=lambda: (BenchModel(turns, delay), MODEL_NAME),  # a fresh model per run
        agent_factory=bench_agent,
        concurrency=len(ids),
    )
    loop = asyncio.get_running_loop()
    start, gap = loop.time(), stagger / len(ids) if stagger and ids else 0.0
    for index, task_id in enumerate(ids):
        if gap and index:
            # Each start at its own time: a busy loop delays a start but never the later ones.
            await asyncio.sleep(max(0.0, start + index * gap - loop.time()))
        worker.wake(task_id)
    await worker.join()


async def measure_throughput(
    *, tasks: int, turns: int, delay: float, rounds: int = 1
) -> Throughput:
    """``tasks`` concurrent tasks started at once (the worst case: they move in step) in one
    worker, and the same load run by bare ``Runner.run`` and bare ``Runner.run_streamed``;
    the paced floor and the full system then ``rounds - 1`` more times, in turns (so drift on
    the machine weighs on both alike)."""
    ids = await sync_to_async(create_tasks)(tasks)
    context = SupportContext(task_id=ids[0], ticket_id=None, customer_id=None, user_id=None)

    async def bare() -> None:
        await asyncio.gather(*(_bare_run(BenchModel(turns, delay), context) for _ in ids))

    async def streamed() -> None:
        await asyncio.gather(*(_bare_streamed_run(BenchModel(turns, delay), context) for _ in ids))

    async def paced() -> None:
        gate = TurnGate(settings.WORKER_TURN_SLOTS)
        await asyncio.gather(
            *(_bare_streamed_run(BenchModel(turns, delay), context, gate) for _ in ids)
        )

    with tracing(False):
        bare_phase = await _timed(bare)
        streamed_phase = await _timed(streamed)
        paced_phase = await _timed(paced)
    with tracing(True):
        full_phase = await _timed(lambda: _worker_load(ids, turns, delay, 0.0))
    completed, events = await sync_to_async(_completed)(ids)
    pairs = [(paced_phase, full_phase)]
    for _ in range(rounds - 1):
        again = await sync_to_async(create_tasks)(tasks)
        with tracing(False):
            paced_again = await _timed(paced)
        with tracing(True):
            full_again = await _timed(functools.partial(_worker_load, again, turns, delay, 0.0))
        pairs.append((paced_again, full_again))
    return Throughput(
        tasks, turns, bare_phase, streamed_phase, paced_phase, full_phase, completed, events, pairs
    )


async def measure_staggered(*, tasks: int, turns: int, delay: float, stagger: float) -> Phase:
    """The full system with task starts spread evenly over ``stagger`` seconds."""
    ids = await sync_to_async(create_tasks)(tasks)
    with tracing(True):
        return await _timed(lambda: _worker_load(ids, turns, delay, stagger))
