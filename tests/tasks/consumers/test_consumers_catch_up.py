"""A task's socket: what the client missed comes from the database, then the live stream,
with no gap and no duplicate, in order, even when events arrive during the replay or the
layer delivers them out of order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tasks.consumers.task_events import TaskEventsConsumer
from tasks.events import TaskEventType
from tasks.live import catch_up
from tasks.live.groups import task_group
from tasks.live.publisher import event_message
from tests.factories import make_task, make_user
from tests.tasks.live_helpers import (
    connect,
    fresh_layer,  # noqa: F401
    receive,
    receive_until,
    send,
    seqs,
    settle,
    store,
    store_and_publish,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("fresh_layer"),
]


def step(n: int) -> tuple[str, dict[str, Any]]:
    return (TaskEventType.REASONING_COMPLETED, {"text": f"step {n}"})


async def _watch():
    staff = await sync_to_async(make_user)()
    task = await sync_to_async(make_task)(status="running")
    return staff, task


async def test_a_client_gets_what_it_missed_then_live_events():
    staff, task = await _watch()
    await store(task.pk, step(1), step(2), step(3))
    socket = await connect(f"/ws/tasks/{task.pk}/", staff)

    # The client saw seq 1: it gets 2 and 3 from the database, then "synced"
    await send(socket, {"action": "subscribe", "after_seq": 1})
    replayed = await receive_until(socket, "synced")
    # ...then what happens next, live
    await store_and_publish(task.pk, step(4))
    live = await receive(socket)

    assert seqs(replayed) == [2, 3]
    assert all(frame.get("replayed") for frame in replayed[:-1])
    assert replayed[-1] == {"type": "synced", "task_id": task.pk, "seq": 3}
    assert replayed[0]["data"] == {"text": "step 2"}
    assert (live["seq"], live["event"], live["data"]) == (4, "reasoning.completed", step(4)[1])
    assert "replayed" not in live
    await socket.disconnect()


async def test_events_written_during_the_replay_arrive_once_and_in_order(monkeypatch):
    staff, task = await _watch()
    await store(task.pk, step(1), step(2), step(3))
    third = event_message((await sync_to_async(list)(task.events.order_by("seq")))[2])
    calls = 0

    async def while_replaying(consumer: TaskEventsConsumer) -> None:
        # Between the database read and the flush: the live copy of an event the read already
        # returned (seq 3), then two new events stored and published (seqs 4 and 5).
        nonlocal calls
        calls += 1
        if calls == 1:
            await get_channel_layer().group_send(task_group(task.pk), third)
            await store_and_publish(task.pk, step(4))
            await store_and_publish(task.pk, step(5))
            await settle()  # the consumer buffers them meanwhile

    monkeypatch.setattr(TaskEventsConsumer, "after_read", while_replaying)
    socket = await connect(f"/ws/tasks/{task.pk}/", staff)

    await send(socket, {"action": "subscribe", "after_seq": 0})
    frames = await receive_until(socket, "synced")
    await store_and_publish(task.pk, step(6))
    after = await receive(socket)

    assert seqs(frames) == [1, 2, 3, 4, 5]
    assert frames[-1]["seq"] == 5
    assert calls == 1  # the buffer held 4 and 5: no second read was needed
    assert after["seq"] == 6
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_a_reconnecting_client_resumes_from_the_last_seq_it_saw():
    staff, task = await _watch()
    first = await connect(f"/ws/tasks/{task.pk}/", staff)
    await send(first, {"action": "subscribe", "after_seq": 0})
    await receive_until(first, "synced")
    await store_and_publish(task.pk, step(1), step(2))
    seen = [(await receive(first))["seq"], (await receive(first))["seq"]]

    # The network drops; the agent goes on meanwhile
    await first.disconnect()
    await store_and_publish(task.pk, step(3), step(4))
    second = await connect(f"/ws/tasks/{task.pk}/?after_seq={seen[-1]}", staff)
    frames = await receive_until(second, "synced")

    assert seen == [1, 2]
    assert seqs(frames) == [3, 4]
    await second.disconnect()


async def test_messages_out_of_order_or_lost_are_repaired_from_the_database():
    staff, task = await _watch()
    socket = await connect(f"/ws/tasks/{task.pk}/?after_seq=0", staff)
    await receive_until(socket, "synced")
    first, second, _lost = await store(task.pk, step(1), step(2), step(3))
    layer = get_channel_layer()

    # Seq 2 arrives before seq 1 (two publishing processes), seq 3 is lost
    await layer.group_send(task_group(task.pk), event_message(second))
    await settle()
    await layer.group_send(task_group(task.pk), event_message(first))
    frames = await receive_until(socket, "synced")
    await store_and_publish(task.pk, step(4))
    frames.append(await receive(socket))

    assert seqs(frames) == [1, 2, 3, 4]
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_many_events_stream_in_seq_order_and_a_long_history_comes_in_chunks(monkeypatch):
    monkeypatch.setattr(catch_up, "CHUNK", 7)
    monkeypatch.setattr("tasks.consumers.task_events.CHUNK", 7)
    staff, task = await _watch()
    await store(task.pk, *[step(n) for n in range(1, 21)])
    socket = await connect(f"/ws/tasks/{task.pk}/", staff)

    await send(socket, {"action": "subscribe", "after_seq": 0})
    replayed = await receive_until(socket, "synced")
    for n in range(21, 41):
        await store_and_publish(task.pk, step(n))
    live = [await receive(socket) for _ in range(20)]

    assert seqs(replayed) == list(range(1, 21))
    assert seqs(live) == list(range(21, 41))
    await socket.disconnect()


async def test_deltas_pass_through_live_but_not_during_a_replay(monkeypatch):
    from tasks.events import live_publish

    staff, task = await _watch()
    await store(task.pk, step(1))

    async def delta_mid_replay(consumer: TaskEventsConsumer) -> None:
        await live_publish(task_id=task.pk, type=TaskEventType.MESSAGE_DELTA, data={"delta": "x"})
        await settle()

    monkeypatch.setattr(TaskEventsConsumer, "after_read", delta_mid_replay)
    socket = await connect(f"/ws/tasks/{task.pk}/?after_seq=0", staff)
    replayed = await receive_until(socket, "synced")
    monkeypatch.undo()
    await live_publish(task_id=task.pk, type=TaskEventType.MESSAGE_DELTA, data={"delta": "Hi"})
    delta = await receive(socket)

    assert [frame["type"] for frame in replayed] == ["event", "synced"]
    assert (delta["seq"], delta["event"], delta["data"]) == (None, "message.delta", {"delta": "Hi"})
    await socket.disconnect()


async def test_a_client_ahead_of_the_database_is_told_where_it_really_is():
    staff, task = await _watch()
    await store(task.pk, step(1), step(2))
    socket = await connect(f"/ws/tasks/{task.pk}/", staff)

    await send(socket, {"action": "subscribe", "after_seq": 50})
    synced = await receive(socket)
    await store_and_publish(task.pk, step(3))

    assert synced == {"type": "synced", "task_id": task.pk, "seq": 2}
    assert (await receive(socket))["seq"] == 3
    await socket.disconnect()


async def test_a_second_subscribe_starts_over_from_its_seq():
    staff, task = await _watch()
    await store(task.pk, step(1), step(2), step(3))
    socket = await connect(f"/ws/tasks/{task.pk}/?after_seq=0", staff)
    await receive_until(socket, "synced")

    await send(socket, {"action": "subscribe", "after_seq": 1})
    again = await receive_until(socket, "synced")

    assert seqs(again) == [2, 3]
    await asyncio.sleep(0)
    await socket.disconnect()


async def test_a_portal_socket_that_missed_part_of_a_batch_catches_up_from_the_database():
    from tasks.events import events_publish

    staff, task = await _watch()
    socket = await connect(f"/ws/tasks/{task.pk}/?format=html&after_seq=0", staff)
    await receive_until(socket, "synced")
    _lost, second, third = await store(task.pk, step(1), step(2), step(3))

    # The message with seq 1 was lost; 2 and 3 arrive together
    await events_publish([second, third])
    frames = await receive_until(socket, "synced")
    await store_and_publish(task.pk, step(4), step(5))
    batch = await receive(socket)

    [catch_up, synced] = frames
    assert (catch_up["first_seq"], catch_up["seq"], catch_up["replayed"]) == (1, 3, True)
    assert all(f"step {n}" in catch_up["html"] for n in (1, 2, 3))
    assert synced["seq"] == 3
    assert (batch["type"], batch["first_seq"], batch["seq"]) == ("batch", 4, 5)
    await socket.disconnect()
