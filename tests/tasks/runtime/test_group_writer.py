"""The worker's group writer and the guarded task-row update it applies: writes of many tasks
share a commit, a lone run is never delayed, and the fast row update means what the ORM's
would."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from tasks.events import EventWrite, TaskEventType, events_store_many
from tasks.models import Task
from tasks.runtime import writer as writer_module
from tasks.runtime.writer import GroupWriter
from tasks.services.task_finish import run_guard

pytestmark = pytest.mark.django_db(transaction=True)


def _task(**fields: Any) -> Task:
    return Task.objects.create(title="t", model="m", **fields)


def _groups(monkeypatch) -> list[int]:
    sizes: list[int] = []
    store = writer_module._store_group

    def counted(writes: list[EventWrite]) -> Any:
        sizes.append(len(writes))
        return store(writes)

    monkeypatch.setattr(writer_module, "_store_group", counted)
    return sizes


@pytest.mark.asyncio
async def test_a_lone_runs_writes_are_not_held_for_the_window(monkeypatch):
    # A window long enough that a write held for it would time out below.
    monkeypatch.setattr(writer_module, "GROUP_WINDOW", 60.0)
    sizes = _groups(monkeypatch)
    task = await sync_to_async(_task)()
    writer = GroupWriter()

    async def five_writes() -> None:
        for _ in range(5):
            await writer.write(EventWrite(task_id=task.pk, updates={"input_tokens": 1}))

    await asyncio.wait_for(five_writes(), timeout=30)

    assert sizes == [1] * 5


@pytest.mark.asyncio
async def test_writes_of_many_tasks_arriving_together_share_commits(monkeypatch):
    sizes = _groups(monkeypatch)
    tasks = [await sync_to_async(_task)() for _ in range(6)]
    # A clock that stands still and a window that ends when the test says: the grouping
    # depends on the order of events only, never on how fast this machine commits.
    window_open = asyncio.Event()
    waits: list[float] = []

    async def window_wait(seconds: float) -> None:
        waits.append(seconds)
        await window_open.wait()

    writer = GroupWriter(clock=lambda: 100.0, window_wait=window_wait)
    event = (TaskEventType.TOOL_CALLED, {"tool": "t"})

    first = [writer.submit(EventWrite(task_id=t.pk, events=[event])) for t in tasks]
    await asyncio.gather(*first)
    # Several tasks wrote together: writes arriving one by one within the window go as one group.
    later = []
    for t in tasks:
        later.append(writer.submit(EventWrite(task_id=t.pk, events=[event])))
        await asyncio.sleep(0)
    assert waits == [pytest.approx(writer_module.GROUP_WINDOW)]
    assert not any(f.done() for f in later)
    window_open.set()
    await asyncio.gather(*later)

    assert sizes == [6, 6]
    assert [t.last_seq async for t in Task.objects.filter(pk__in=[t.pk for t in tasks])] == [2] * 6


def test_a_guarded_write_applies_only_while_the_guard_holds():
    task = _task(status=Task.Status.RUNNING, lease_owner="w1")
    now = timezone.now()
    mine = EventWrite(
        task_id=task.pk,
        events=[(TaskEventType.USAGE_UPDATED, {"input_tokens": 5})],
        updates={
            "input_tokens": 5,
            "history": [{"role": "user", "content": "é"}],
            "heartbeat_at": now,
        },
        guard=run_guard("w1"),
    )
    theirs = EventWrite(task_id=task.pk, updates={"input_tokens": 99}, guard=run_guard("w2"))

    applied, refused = events_store_many([mine, theirs])

    task.refresh_from_db()
    assert (applied.applied, refused.applied) == (True, False)
    assert (task.input_tokens, task.last_seq) == (5, 1)
    assert task.history == [{"role": "user", "content": "é"}] and task.heartbeat_at == now
    assert [e.seq for e in applied.events] == [1] and refused.events == []


def test_increments_and_a_null_guard():
    task = _task(attempts=2)
    write = EventWrite(
        task_id=task.pk, increments={"attempts": 1}, guard={"lease_expires_at": None}
    )

    (result,) = events_store_many([write])

    task.refresh_from_db()
    assert result.applied and task.attempts == 3


def test_expressions_and_lookups_still_go_through_the_orm():
    from django.db.models import F

    task = _task(input_tokens=4, status=Task.Status.QUEUED)
    write = EventWrite(
        task_id=task.pk,
        updates={"output_tokens": F("input_tokens") * 2},
        guard={"status__in": [Task.Status.QUEUED, Task.Status.RUNNING]},
    )

    (result,) = events_store_many([write])

    task.refresh_from_db()
    assert result.applied and task.output_tokens == 8
