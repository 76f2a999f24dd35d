"""``manage.py runworker``: the agent worker sweeps at start without waiting for a message,
keeps listening through channel-layer errors, and hands its running tasks back when stopped."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.routing import get_default_application
from django.conf import settings
from django.core.management import get_commands

from tasks.management.commands import runworker as command
from tasks.models import Task
from tasks.runtime import worker as worker_module
from tasks.runtime.worker import TaskWorker
from tasks.services.task_finish import RELEASED
from tasks.services.task_start import task_start_free_text
from tests.tasks.task_helpers import ModelStep, ScriptedModel, events, final

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class FlakyLayer:
    """A channel layer whose first receives fail (Redis restarting), then delivers what it is
    given."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive(self, channel: str) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Redis is restarting")
        return await self.messages.get()


def scripted(steps: list[Any]) -> TaskWorker:
    model = ScriptedModel(steps)
    return TaskWorker(model_factory=lambda: (model, "scripted"), sweep_seconds=3600)


async def until(condition: Any) -> None:
    """Polls ``condition`` for up to 10 s."""
    for _ in range(500):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def agent_worker(layer: Any) -> command.AgentWorker:
    return command.AgentWorker(
        application=get_default_application(),
        channels=[settings.WORKER_CHANNEL],
        channel_layer=layer,
    )


async def test_the_agent_runworker_takes_the_place_of_channels_own():
    assert get_commands()["runworker"] == "tasks"


async def test_it_runs_a_queued_task_at_start_without_any_message(monkeypatch):
    # given a task queued while no worker listened (its wake-up lost)
    task = await sync_to_async(task_start_free_text)(text="Summarise", user=None)
    monkeypatch.setattr(worker_module, "_worker", scripted([final("done")]))
    server = agent_worker(FlakyLayer(failures=0))

    # when the worker starts
    serving = asyncio.create_task(server.handle())

    # then its first sweep finds the task and runs it
    await until(lambda: _is(task.pk, Task.Status.COMPLETED))
    assert server.stopping is not None
    server.stopping.set()
    await serving


async def test_it_keeps_listening_through_channel_layer_errors(monkeypatch):
    # given a worker whose channel layer fails twice before delivering a wake-up
    monkeypatch.setattr(command, "RETRY_FIRST_SECONDS", 0.01)
    monkeypatch.setattr(worker_module, "_worker", scripted([final("done")]))
    layer = FlakyLayer(failures=2)
    server = agent_worker(layer)
    serving = asyncio.create_task(server.handle())
    await asyncio.sleep(0.1)  # the start-up sweep is over: only the message can run the task
    task = await sync_to_async(task_start_free_text)(text="Summarise", user=None)

    # when the wake-up arrives after the errors
    await layer.messages.put({"type": "task.run", "task_id": task.pk})

    # then the task runs
    await until(lambda: _is(task.pk, Task.Status.COMPLETED))
    assert layer.failures == 0
    assert server.stopping is not None
    server.stopping.set()
    await serving


async def test_stopping_hands_the_running_tasks_back_to_the_queue(monkeypatch):
    # given a worker in the middle of a run
    started = asyncio.Event()

    async def hang(_call: Any) -> ModelStep:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    task = await sync_to_async(task_start_free_text)(text="Summarise", user=None)
    monkeypatch.setattr(worker_module, "_worker", scripted([ModelStep.respond(hang)]))
    server = agent_worker(FlakyLayer(failures=0))
    serving = asyncio.create_task(server.handle())
    await started.wait()

    # when it is told to stop (SIGTERM)
    assert server.stopping is not None
    server.stopping.set()
    await serving

    # then the task is queued again at once, for another worker, with the reason
    task = await Task.objects.aget(pk=task.pk)
    assert (task.status, task.lease_owner) == (Task.Status.QUEUED, "")
    assert (await events(task))[-1] == (
        "task.status_changed",
        {"status": "queued", "reason": RELEASED},
    )


async def _is(task_id: int, expected: str) -> bool:
    return (await Task.objects.aget(pk=task_id)).status == expected
