"""What the sockets say: an error frame for each kind of bad input (and the socket stays open),
the JSON event stream for API clients, and server-rendered HTML for the portal, rendered once
per event for every watcher."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tasks.events import TaskEventType
from tasks.live import fragments
from tasks.live import protocol as p
from tasks.live.groups import task_group
from tests.factories import make_task, make_user
from tests.tasks.live_helpers import (
    TIMEOUT,
    connect,
    fresh_layer,  # noqa: F401
    receive,
    receive_until,
    send,
    store_and_publish,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("fresh_layer"),
]


async def _socket(path: str = "/ws/tasks/{task}/"):
    staff = await sync_to_async(make_user)()
    task = await sync_to_async(make_task)(status="running")
    return await connect(path.format(task=task.pk), staff), task


def error(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}


async def test_each_bad_frame_gets_an_error_frame_and_the_socket_stays_open():
    socket, _ = await _socket()
    unknown = p.UNKNOWN_ACTION_MESSAGE.format(actions="ping, subscribe")
    bad = [
        ("{not json", error(p.BAD_JSON, p.BAD_JSON_MESSAGE)),
        ("[1, 2]", error(p.BAD_JSON, p.BAD_JSON_MESSAGE)),
        ('"just a string"', error(p.BAD_JSON, p.BAD_JSON_MESSAGE)),
        ('{"action": "explode"}', error(p.UNKNOWN_ACTION, unknown)),
        ('{"no_action": true}', error(p.UNKNOWN_ACTION, unknown)),
        ('{"action": ["subscribe"]}', error(p.UNKNOWN_ACTION, unknown)),
        ('{"action": "subscribe", "after_seq": -1}', error(p.BAD_REQUEST, p.AFTER_SEQ_INVALID)),
        ('{"action": "subscribe", "after_seq": "7"}', error(p.BAD_REQUEST, p.AFTER_SEQ_INVALID)),
        ('{"action": "subscribe", "after_seq": true}', error(p.BAD_REQUEST, p.AFTER_SEQ_INVALID)),
        ('{"action": "subscribe", "format": "xml"}', error(p.BAD_REQUEST, p.FORMAT_INVALID)),
        (
            json.dumps({"action": "ping", "pad": "x" * p.MAX_FRAME_BYTES}),
            error(p.FRAME_TOO_LARGE, p.FRAME_TOO_LARGE_MESSAGE),
        ),
        (
            # Under the limit in characters, over it in UTF-8 bytes
            json.dumps(
                {"action": "ping", "pad": "é" * (p.MAX_FRAME_BYTES // 2)}, ensure_ascii=False
            ),
            error(p.FRAME_TOO_LARGE, p.FRAME_TOO_LARGE_MESSAGE),
        ),
    ]

    for text, expected in bad:
        await socket.send_to(text_data=text)
        assert await receive(socket) == expected, text
    await socket.send_to(bytes_data=b"\x00\x01")
    assert await receive(socket) == error(p.BINARY_FRAME, p.BINARY_FRAME_MESSAGE)

    await send(socket, {"action": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_a_bad_query_string_is_reported_and_the_socket_stays_usable():
    staff = await sync_to_async(make_user)()
    task = await sync_to_async(make_task)()

    socket = await connect(f"/ws/tasks/{task.pk}/?format=xml&after_seq=abc", staff)

    assert await receive(socket) == error(p.BAD_REQUEST, p.FORMAT_INVALID)
    assert await receive(socket) == error(p.BAD_REQUEST, p.AFTER_SEQ_INVALID)
    await send(socket, {"action": "subscribe", "after_seq": 0})
    assert (await receive(socket))["type"] == "synced"
    await socket.disconnect()


async def test_a_failing_action_is_an_internal_error_frame_not_a_crash(monkeypatch):
    socket, _ = await _socket()

    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("tasks.consumers.base.LiveConsumer.still_allowed", broken)
    await send(socket, {"action": "subscribe", "after_seq": 0})

    assert await receive(socket) == error(p.INTERNAL, p.INTERNAL_MESSAGE)
    await send(socket, {"action": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_the_json_stream_carries_each_event_with_its_data():
    socket, task = await _socket("/ws/tasks/{task}/?after_seq=0")
    await receive_until(socket, "synced")

    [stored] = await store_and_publish(
        task.pk,
        (TaskEventType.TOOL_CALLED, {"name": "lookup_customer", "call_id": "c1", "arguments": {}}),
    )
    frame = await receive(socket)

    assert frame == {
        "type": "event",
        "task_id": task.pk,
        "seq": 1,
        "event": "tool.called",
        "data": {"name": "lookup_customer", "call_id": "c1", "arguments": {}},
        "created_at": stored.created_at.isoformat(),
    }
    await socket.disconnect()


async def test_portal_sockets_get_html_rendered_once_for_all_of_them(monkeypatch):
    staff = await sync_to_async(make_user)()
    task = await sync_to_async(make_task)(status="running")
    sockets = [await connect(f"/ws/tasks/{task.pk}/?format=html&after_seq=0", staff) for _ in "abc"]
    for socket in sockets:
        await receive_until(socket, "synced")
    renders = []
    real = fragments.task_fragments

    def counting(task, messages):
        renders.append([m["seq"] for m in messages])
        return real(task, messages)

    monkeypatch.setattr(fragments, "task_fragments", counting)

    await store_and_publish(
        task.pk,
        (TaskEventType.TOOL_CALLED, {"name": "get_order", "call_id": "c9", "arguments": {}}),
        (TaskEventType.TOOL_FAILED, {"name": "get_order", "call_id": "c9", "error": "No order."}),
    )
    frames = [await receive(socket) for socket in sockets]

    assert renders == [[1, 2]]  # one rendering of the batch, however many watch
    # ...and one channel-layer delivery: the process's hub fans it out to the three sockets
    assert len(get_channel_layer().groups[task_group(task.pk)]) == 1
    assert frames[1] == frames[2] == frames[0]
    # Published together, the two events come as one frame covering both
    [batch] = frames[:1]
    assert (batch["type"], batch["task_id"], batch["first_seq"], batch["seq"]) == (
        "batch",
        task.pk,
        1,
        2,
    )
    [part] = batch["parts"]
    # The call and its result are one line, pushed with the call, in red
    assert f'id="tl-{task.pk}-1"' in part["html"]
    assert "tl-error" in part["html"] and "No order." in part["html"]
    assert f'data-live-into="task-{task.pk}-timeline"' in part["html"]
    for socket in sockets:
        await socket.disconnect()


async def test_an_html_catch_up_is_one_frame_of_fragments():
    staff = await sync_to_async(make_user)()
    task = await sync_to_async(make_task)(status="running")
    await store_and_publish(
        task.pk,
        (TaskEventType.REASONING_COMPLETED, {"text": "First I look up the customer."}),
        (TaskEventType.TASK_COMPLETED, {"status": "completed", "final_output": "Done."}),
    )

    socket = await connect(f"/ws/tasks/{task.pk}/?format=html&after_seq=0", staff)
    frames = await receive_until(socket, "synced")

    [catch_up, synced] = frames
    assert (catch_up["first_seq"], catch_up["seq"], catch_up["replayed"]) == (1, 2, True)
    assert "First I look up the customer." in catch_up["html"]
    assert f'id="task-{task.pk}-head"' in catch_up["html"]
    assert synced["seq"] == 2
    assert await socket.receive_nothing(timeout=TIMEOUT / 30)
    await socket.disconnect()


async def test_sockets_reconnecting_together_share_one_catch_up_rendering(monkeypatch):
    staff = await sync_to_async(make_user)()
    task = await sync_to_async(make_task)(status="running")
    await store_and_publish(
        task.pk, (TaskEventType.REASONING_COMPLETED, {"text": "Looking at the orders."})
    )
    renders = []
    real = fragments.task_fragments

    def counting(task, messages):
        renders.append([m["seq"] for m in messages])
        return real(task, messages)

    monkeypatch.setattr("tasks.live.catch_up.task_fragments", counting)

    # After a server restart, every page comes back asking for the same events
    sockets = [await connect(f"/ws/tasks/{task.pk}/?format=html&after_seq=0", staff) for _ in "abc"]
    frames = [await receive_until(socket, "synced") for socket in sockets]

    assert renders == [[1]]
    assert frames[0] == frames[1] == frames[2]
    assert "Looking at the orders." in frames[0][0]["html"]
    for socket in sockets:
        await socket.disconnect()
