"""Task events: per-task sequence numbers without gaps, live-only deltas, group publishing."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tasks.events import (
    TaskEventType,
    event_list,
    event_store,
    events_publish,
    events_store,
    live_publish,
)
from tasks.live.groups import DASHBOARD_GROUP, task_group
from tasks.models import Task, TaskEvent


def _task() -> Task:
    return Task.objects.create(title="t", model="m")


@pytest.mark.django_db
def test_batches_and_single_events_share_one_gapless_sequence():
    task = _task()

    event_store(task_id=task.pk, type=TaskEventType.TASK_CREATED, data={})
    events_store(
        task_id=task.pk,
        events=[(TaskEventType.TOOL_CALLED, {"n": 1}), (TaskEventType.TOOL_RETURNED, {"n": 2})],
        task_updates={"input_tokens": 10},
    )
    event_store(task_id=task.pk, type=TaskEventType.TASK_COMPLETED, data={})

    task.refresh_from_db()
    assert [e.seq for e in TaskEvent.objects.filter(task=task)] == [1, 2, 3, 4]
    assert (task.last_seq, task.input_tokens) == (4, 10)
    assert [e.seq for e in event_list(task_id=task.pk, after_seq=2)] == [3, 4]


@pytest.mark.django_db
def test_live_only_events_are_never_stored():
    task = _task()

    with pytest.raises(ValueError):
        event_store(task_id=task.pk, type=TaskEventType.MESSAGE_DELTA, data={"delta": "x"})

    assert not TaskEvent.objects.exists()


def test_group_names_are_valid_channel_group_names():
    assert task_group(12) == "task-12"
    assert len(task_group(2**63)) < 100


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_interleaved_writers_get_unique_contiguous_numbers():
    task = await sync_to_async(_task)()

    def write(i: int) -> None:
        events_store(task_id=task.pk, events=[(TaskEventType.TOOL_CALLED, {"i": i})] * 3)

    # The in-memory test database allows one writer at a time (real concurrency is covered by
    # the row lock on PostgreSQL and IMMEDIATE transactions on SQLite files).
    await asyncio.gather(*(sync_to_async(write)(i) for i in range(20)))

    seqs = [e.seq async for e in TaskEvent.objects.filter(task=task).order_by("seq")]
    assert seqs == list(range(1, 61))


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_stored_events_go_to_the_task_and_dashboard_groups_and_deltas_to_the_task_only():
    layer = get_channel_layer()
    task = await sync_to_async(_task)()
    task_channel = await layer.new_channel()
    dashboard_channel = await layer.new_channel()
    await layer.group_add(task_group(task.pk), task_channel)
    await layer.group_add(DASHBOARD_GROUP, dashboard_channel)

    stored = await sync_to_async(event_store)(
        task_id=task.pk, type=TaskEventType.TODO_ADDED, data={"text": "Plan"}
    )
    await events_publish([stored])
    await live_publish(task_id=task.pk, type=TaskEventType.MESSAGE_DELTA, data={"delta": "Hi"})

    first = await layer.receive(task_channel)
    assert (first["type"], first["task_id"], first["seq"], first["event"]) == (
        "task.event",
        task.pk,
        1,
        "todo.added",
    )
    assert first["data"] == {"text": "Plan"}
    delta = await layer.receive(task_channel)
    assert (delta["event"], delta["seq"], delta["data"]) == ("message.delta", None, {"delta": "Hi"})
    assert (await layer.receive(dashboard_channel))["seq"] == 1
    assert not layer.channels.get(dashboard_channel)
    await layer.group_discard(task_group(task.pk), task_channel)
    await layer.group_discard(DASHBOARD_GROUP, dashboard_channel)
