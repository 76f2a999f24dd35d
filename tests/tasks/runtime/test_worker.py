"""The worker: exactly-once claims, concurrency, sweeps for lost wake-ups and dead workers, the
channel consumer and the embedded loop."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import ApplicationCommunicator
from django.conf import settings
from django.utils import timezone

from tasks.models import Task
from tasks.runtime import worker as worker_module
from tasks.runtime.consumer import TaskWorkerConsumer
from tasks.runtime.worker import TaskWorker
from tasks.services.task_start import task_start_free_text
from tests.tasks.task_helpers import ModelStep, ScriptedModel, event_types, final

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def new_task(text: str = "Summarise the backlog") -> Task:
    return await sync_to_async(task_start_free_text)(text=text, user=None)


def scripted_factory(text: str = "done", *, delay: float = 0.0, stats: dict | None = None):
    """A model factory whose models answer after ``delay`` and count concurrent calls."""
    stats = stats if stats is not None else {}

    async def respond(_call: Any) -> ModelStep:
        stats["now"] = stats.get("now", 0) + 1
        stats["max"] = max(stats.get("max", 0), stats["now"])
        stats["calls"] = stats.get("calls", 0) + 1
        await asyncio.sleep(delay)
        stats["now"] -= 1
        return final(text)

    return lambda: (ScriptedModel([ModelStep.respond(respond)]), "scripted")


async def test_a_task_woken_twice_on_two_workers_runs_once():
    task = await new_task()
    stats: dict[str, int] = {}
    one = TaskWorker(model_factory=scripted_factory(delay=0.05, stats=stats), owner="one")
    two = TaskWorker(model_factory=scripted_factory(delay=0.05, stats=stats), owner="two")

    woken = [one.wake(task.pk), one.wake(task.pk), two.wake(task.pk), two.wake(task.pk)]
    await asyncio.gather(one.join(), two.join())

    assert woken == [True, False, True, False]
    assert stats["calls"] == 1
    task = await Task.objects.aget(pk=task.pk)
    assert (task.status, task.attempts) == (Task.Status.COMPLETED, 1)
    assert (await event_types(task)).count("task.started") == 1


async def test_one_worker_runs_many_tasks_concurrently_within_its_limit():
    tasks = [await new_task(f"Task {i}") for i in range(6)]
    stats: dict[str, int] = {}
    worker = TaskWorker(model_factory=scripted_factory(delay=0.1, stats=stats), concurrency=4)

    for task in tasks:
        worker.wake(task.pk)
    await worker.join()

    assert stats["max"] == 4
    statuses = {t.status async for t in Task.objects.filter(pk__in=[t.pk for t in tasks])}
    assert statuses == {Task.Status.COMPLETED}


async def test_a_sweep_finds_queued_tasks_whose_wake_up_was_lost():
    task = await new_task()
    worker = TaskWorker(model_factory=scripted_factory())

    assert await worker.sweep() == 1
    await worker.join()

    assert (await Task.objects.aget(pk=task.pk)).status == Task.Status.COMPLETED
    assert await worker.sweep() == 0


async def test_a_sweep_recovers_the_task_of_a_dead_worker():
    task = await new_task()
    await Task.objects.filter(pk=task.pk).aupdate(
        status=Task.Status.RUNNING,
        lease_owner="dead-worker",
        lease_expires_at=timezone.now() - timedelta(seconds=5),
        attempts=1,
    )
    worker = TaskWorker(model_factory=scripted_factory("finished by the new worker"))

    await worker.sweep()
    await worker.join()

    task = await Task.objects.aget(pk=task.pk)
    assert (task.status, task.final_output) == (Task.Status.COMPLETED, "finished by the new worker")
    assert task.attempts == 2


async def test_the_consumer_schedules_a_run_per_message(monkeypatch):
    task = await new_task()
    worker = TaskWorker(model_factory=scripted_factory(), sweep_seconds=3600)
    monkeypatch.setattr(worker_module, "_worker", worker)
    app = ApplicationCommunicator(
        TaskWorkerConsumer.as_asgi(), {"type": "channel", "channel": settings.WORKER_CHANNEL}
    )

    await app.send_input({"type": "task.run", "task_id": task.pk})
    await app.send_input({"type": "task.run", "task_id": task.pk})
    await asyncio.sleep(0.05)
    await worker.join()
    await worker.stop()
    app.stop(exceptions=False)

    task = await Task.objects.aget(pk=task.pk)
    assert (task.status, task.attempts) == (Task.Status.COMPLETED, 1)


async def test_the_embedded_worker_listens_on_the_in_memory_layer():
    layer = get_channel_layer()
    await layer.flush()
    worker = TaskWorker(model_factory=scripted_factory(), sweep_seconds=3600)
    serving = asyncio.create_task(worker.serve(layer, settings.WORKER_CHANNEL))
    await asyncio.sleep(0.05)  # let the first sweep pass: only the wake-up below can run it

    task = await new_task()  # its wake-up goes through the channel layer after commit
    for _ in range(100):
        if worker.active_task_ids or (await Task.objects.aget(pk=task.pk)).status != "queued":
            break
        await asyncio.sleep(0.01)
    await worker.join()
    serving.cancel()
    await worker.stop()

    assert (await Task.objects.aget(pk=task.pk)).status == Task.Status.COMPLETED


ROUTES_PROBE = """
import sys, django
django.setup()
before = "tasks.agents.support" in sys.modules
import tasks.routing
print(before, "tasks.agents.support" in sys.modules)
"""


async def test_the_agent_is_imported_with_the_worker_routes():
    # In a fresh process: in this one, other tests have imported the agent already.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    probe = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ROUTES_PROBE,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(probe.communicate(), timeout=60)

    assert out.decode().split() == ["False", "True"]
