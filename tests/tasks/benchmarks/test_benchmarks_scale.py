"""The scale benchmark's building blocks (``tasks.benchmarks.scale``): many tasks queued at
once and the outcome check that each was completed, claimed once and has no gap in its events."""

from __future__ import annotations

import functools

import pytest
from asgiref.sync import sync_to_async

from tasks.benchmarks.runtime import bench_agent
from tasks.benchmarks.scale import _scripted, outcome, queue_tasks, status_counts
from tasks.events import event_store
from tasks.models import Task, TaskEvent
from tasks.runtime.worker import TaskWorker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def run_all(ids: list[int]) -> None:
    worker = TaskWorker(
        model_factory=functools.partial(_scripted, 2, 0.0), agent_factory=bench_agent
    )
    for task_id in ids:
        worker.wake(task_id)
    await worker.join()


async def test_queued_tasks_run_by_the_scripted_worker_are_each_claimed_once():
    ids = await sync_to_async(queue_tasks)(5)
    assert await Task.objects.filter(pk__in=ids, status="queued").acount() == 5

    await run_all(ids)

    result = await sync_to_async(outcome)(ids)
    assert (result.tasks, result.completed, result.claimed_not_once, result.seq_gaps) == (
        5, 5, 0, 0
    )  # fmt: skip
    assert result.workers_used == 1
    assert await sync_to_async(status_counts)(ids) == {"completed": 5}


async def test_the_outcome_notices_a_second_claim_and_a_missing_event():
    ids = await sync_to_async(queue_tasks)(2)
    await run_all(ids)
    # a second task.started on the first task; the second task loses an event
    await sync_to_async(event_store)(task_id=ids[0], type="task.started", data={"worker": "x"})
    await TaskEvent.objects.filter(task_id=ids[1], seq=3).adelete()

    result = await sync_to_async(outcome)(ids)

    assert (result.claimed_not_once, result.seq_gaps) == (1, 1)
