"""A person first: while someone waits for the copilot, the worker's background tasks wait at
their next step; everything else runs, and background work is never starved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from tasks.models import Task
from tasks.runtime.pacing import TurnGate
from tasks.runtime.priority import BackgroundPause
from tasks.runtime.worker import TaskWorker
from tasks.services.task_start import task_start_free_text
from tests.tasks.task_helpers import ScriptedModel, final


async def _settle() -> None:
    for _ in range(20):  # let every ready step run (no clock involved)
        await asyncio.sleep(0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _steps(log: list[str], name: str, gate: asyncio.Event) -> str:
    log.append(f"{name} started")
    await gate.wait()
    log.append(f"{name} went on")
    child = asyncio.create_task(_child(log, name))  # inherits the background mark
    await child
    return name


async def _child(log: list[str], name: str) -> None:
    await asyncio.sleep(0)
    log.append(f"{name}'s child ran")


@pytest.mark.asyncio
async def test_background_tasks_wait_at_their_next_step_while_a_pause_is_on():
    pause = BackgroundPause()
    loop = asyncio.get_running_loop()
    pause.install(loop)
    log: list[str] = []
    go = asyncio.Event()
    background = loop.create_task(_steps(log, "run", go), context=pause.context())
    other = asyncio.create_task(_steps(log, "person", go))  # not marked
    await _settle()
    assert log == ["run started", "person started"]

    assert pause.begin()
    go.set()
    await _settle()
    assert "run went on" not in log  # woken, but parked until the pause ends
    assert "person went on" in log and "person's child ran" in log
    assert not background.done()

    pause.end()
    assert await asyncio.wait_for(background, timeout=5) == "run"
    assert log[-2:] == ["run went on", "run's child ran"]
    await other


@pytest.mark.asyncio
async def test_a_child_started_by_a_background_task_waits_too():
    pause = BackgroundPause()
    loop = asyncio.get_running_loop()
    pause.install(loop)
    pause.install(loop)  # once per loop: installing again changes nothing
    log: list[str] = []
    go = asyncio.Event()

    async def parent() -> None:
        child = asyncio.create_task(_steps(log, "child", go))
        await child

    job = loop.create_task(parent(), context=pause.context())
    await _settle()
    assert pause.begin()
    go.set()
    await _settle()
    assert log == ["child started"]
    pause.end()
    await asyncio.wait_for(job, timeout=5)
    assert log == ["child started", "child went on", "child's child ran"]


@pytest.mark.asyncio
async def test_cancelling_a_parked_task_cancels_only_that_task():
    pause = BackgroundPause()
    loop = asyncio.get_running_loop()
    pause.install(loop)
    go = asyncio.Event()
    log: list[str] = []
    first = loop.create_task(_steps(log, "first", go), context=pause.context())
    second = loop.create_task(_steps(log, "second", go), context=pause.context())
    await _settle()
    pause.begin()
    go.set()
    await _settle()

    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert not second.done()  # each parked step waits on a future of its own
    pause.end()
    assert await asyncio.wait_for(second, timeout=5) == "second"
    assert "first went on" not in log


@pytest.mark.asyncio
async def test_a_background_tasks_error_passes_through_unchanged():
    pause = BackgroundPause()
    loop = asyncio.get_running_loop()
    pause.install(loop)

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("the run's own error")

    job = loop.create_task(fails(), context=pause.context())
    with pytest.raises(ValueError, match="the run's own error"):
        await job


def test_pauses_nest_and_never_take_more_than_their_share_of_the_window():
    clock = Clock()
    pause = BackgroundPause(max_share=0.5, window=1.0, clock=clock)
    assert pause.begin() and pause.begin()  # two people waiting
    pause.end()
    assert pause.active  # until the last one is answered
    clock.now += 0.4
    pause.end()
    assert not pause.active

    assert pause.begin()  # 0.4 s of the last second were paused: a little more is allowed
    clock.now += 0.2
    pause.end()
    assert not pause.begin()  # 0.6 s > half the window: background work goes on
    assert not pause.active
    pause.end()  # an end without a begin is harmless

    clock.now += 1.0  # the window moved on
    assert pause.begin()
    pause.end()
    assert pause.pauses == 3


@pytest.mark.asyncio
async def test_a_turn_gate_hold_pauses_the_background_until_released_or_its_limit():
    pause = BackgroundPause()
    gate = TurnGate(2, budget=3600, pause=pause)
    release = gate.hold(limit=3600)
    assert pause.active
    release()
    release()  # twice is harmless
    assert not pause.active

    gate.hold(limit=0)  # a forgotten release never starves the runs
    assert pause.active
    await _settle()
    assert not pause.active and gate.held == 0


class _Waiting(ScriptedModel):
    """A scripted model whose first answer comes when the test says."""

    def __init__(self, answer: asyncio.Event, steps: list[Any]) -> None:
        super().__init__(steps)
        self.answer = answer
        self.asked = asyncio.Event()
        self.after_answer = 0

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        self.asked.set()
        await self.answer.wait()
        self.after_answer += 1
        async for event in super().stream_response(*args, **kwargs):
            yield event


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_worker_run_waits_while_a_person_waits_for_the_copilot():
    task = await sync_to_async(task_start_free_text)(text="Look into it", user=None)
    answer = asyncio.Event()
    model = _Waiting(answer, [final("Done.")])
    worker = TaskWorker(model_factory=lambda: (model, "scripted"), concurrency=2)
    worker.wake(task.pk)
    await asyncio.wait_for(model.asked.wait(), timeout=30)  # the run waits on its model

    release = worker.turns.hold(limit=3600)  # the copilot's hold
    answer.set()
    await _settle()
    assert model.after_answer == 0  # the model's answer is there, the run has not taken it
    release()
    await asyncio.wait_for(worker.join(), timeout=30)

    assert model.after_answer == 1
    status = await sync_to_async(lambda: Task.objects.get(pk=task.pk).status)()
    assert status == Task.Status.COMPLETED
