"""Turn pacing: a worker's runs take the CPU a few turns at a time, first come first served,
and slow work never holds the others back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from agents import ModelResponse, Usage
from agents.models.interface import Model
from asgiref.sync import sync_to_async
from openai.types.responses import ResponseCompletedEvent

from tasks.models import Task
from tasks.runtime.pacing import PacedModel, TurnGate
from tasks.runtime.worker import TaskWorker
from tasks.services.task_start import task_start_free_text
from tests.tasks.task_helpers import ModelStep, ScriptedModel, call, final, turn


@pytest.mark.asyncio
async def test_the_gate_admits_as_many_runs_as_it_has_slots_then_in_arrival_order():
    gate = TurnGate(2, budget=10)
    first, second = await gate.acquire(), await gate.acquire()
    order: list[str] = []

    async def wait(name: str) -> None:
        turn_pass = await gate.acquire()
        order.append(name)
        turn_pass.release()

    third = asyncio.create_task(wait("third"))
    fourth = asyncio.create_task(wait("fourth"))
    for _ in range(10):  # let both reach the gate (no clock involved)
        await asyncio.sleep(0)
    assert (gate.active, gate.waiting, order) == (2, 2, [])

    first.release()
    await asyncio.gather(third, fourth)

    assert order == ["third", "fourth"]
    second.release()
    assert (gate.active, gate.waiting) == (0, 0)


@pytest.mark.asyncio
async def test_a_hold_puts_a_waiting_person_first_and_lets_the_runs_go_on_after():
    gate = TurnGate(2, budget=3600)
    running = await gate.acquire()  # a turn under way finishes as usual

    release = gate.hold(limit=3600)  # someone waits for the copilot's first token
    blocked = asyncio.create_task(gate.acquire())
    for _ in range(10):
        await asyncio.sleep(0)
    assert not blocked.done() and gate.active == 1  # a free slot, yet no new pass

    release()
    admitted = await asyncio.wait_for(blocked, timeout=1)
    release()  # twice is harmless
    assert gate.held == 0 and gate.active == 2
    running.release()
    admitted.release()


@pytest.mark.asyncio
async def test_a_hold_ends_by_itself_after_its_limit():
    gate = TurnGate(1, budget=3600)
    gate.hold(limit=0)  # a forgotten release never starves the runs
    admitted = await asyncio.wait_for(gate.acquire(), timeout=1)

    assert gate.held == 0
    admitted.release()


@pytest.mark.asyncio
async def test_a_pass_held_past_its_budget_stops_holding_the_others_back():
    gate = TurnGate(1, budget=3600)  # the test fires the budget timer itself
    slow = await gate.acquire()  # e.g. a run inside a slow tool call
    waiting = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    assert not waiting.done()

    slow.expire()  # what the budget timer does
    admitted = await asyncio.wait_for(waiting, timeout=1)

    assert not slow.counted and gate.active == 1
    slow.release()  # late: it no longer counts, so nothing is freed twice
    assert gate.active == 1
    admitted.release()
    assert gate.active == 0


@pytest.mark.asyncio
async def test_a_waiter_cancelled_as_it_is_admitted_passes_its_slot_on():
    gate = TurnGate(1, budget=10)
    held = await gate.acquire()
    cancelled = asyncio.create_task(gate.acquire())
    behind = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)

    held.release()  # grants ``cancelled`` its pass ...
    cancelled.cancel()  # ... which is cancelled before it runs
    admitted = await asyncio.wait_for(behind, timeout=1)

    assert gate.active == 1
    admitted.release()
    assert gate.active == 0


def test_a_gate_needs_a_slot():
    with pytest.raises(ValueError, match="at least one slot"):
        TurnGate(0)


class _WatchingModel(Model):
    """Records how many passes the gate counts while the model is called."""

    def __init__(self, gate: TurnGate) -> None:
        self.gate = gate
        self.active_during_calls: list[int] = []

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        self.active_during_calls.append(self.gate.active)
        return ModelResponse(output=[], usage=Usage(), response_id=None)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        self.active_during_calls.append(self.gate.active)
        yield ResponseCompletedEvent.model_construct(type="response.completed")


@pytest.mark.asyncio
async def test_a_paced_model_gives_its_pass_back_during_the_call_and_takes_it_after():
    gate = TurnGate(1, budget=10)
    inner = _WatchingModel(gate)
    model = PacedModel(inner, gate)
    await model.begin()
    assert gate.active == 1

    events = [event async for event in model.stream_response()]  # type: ignore[call-arg]

    assert inner.active_during_calls == [0]
    assert [event.type for event in events] == ["response.completed"]
    assert gate.active == 1  # the answer is in: this run's turn is being processed
    await model.get_response()  # type: ignore[call-arg]
    assert inner.active_during_calls == [0, 0] and gate.active == 1
    model.end()
    assert gate.active == 0


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_many_runs_through_one_turn_slot_all_finish_and_leave_it_free(settings):
    settings.WORKER_TURN_SLOTS = 1
    tasks = [
        await sync_to_async(task_start_free_text)(text=f"Task {i}", user=None) for i in range(8)
    ]

    def factory() -> tuple[ScriptedModel, str]:
        script = [turn(call("add_todos", {"texts": ["Look"]}, id="c1")), final("done")]
        return ScriptedModel(script), "scripted"

    worker = TaskWorker(model_factory=factory)
    for task in tasks:
        worker.wake(task.pk)
    await worker.join()

    statuses = {t.status async for t in Task.objects.filter(pk__in=[t.pk for t in tasks])}
    assert statuses == {Task.Status.COMPLETED}
    assert (worker.turns.active, worker.turns.waiting) == (0, 0)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_run_whose_model_fails_frees_its_turn_slot(settings):
    settings.WORKER_TURN_SLOTS = 1
    settings.MODEL_MAX_RETRIES = 0
    task = await sync_to_async(task_start_free_text)(text="Fails", user=None)

    async def boom(_call: Any) -> ModelStep:
        raise RuntimeError("provider down")

    worker = TaskWorker(model_factory=lambda: (ScriptedModel([ModelStep.respond(boom)]), "s"))
    worker.wake(task.pk)
    await worker.join()

    assert (await Task.objects.aget(pk=task.pk)).status == Task.Status.FAILED
    assert worker.turns.active == 0
