"""``ws/copilot/<id>/``: the owner only; messages sent and refused with error frames; the answer
streamed piece by piece and stored; a delegated task's card and completion notice pushed
through the channel layer; a reconnect catching up by seq with no gap and no duplicate."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from tasks.copilot.notices import get_notifier
from tasks.live import protocol as p
from tasks.models import Conversation, ConversationTask, Task
from tests.factories import make_ticket, make_user
from tests.tasks.copilot.helpers import copilot_with, new_conversation, post
from tests.tasks.live_helpers import (
    communicator,
    connect,
    fresh_layer,  # noqa: F401 (fixture)
    receive,
    receive_until,
    send,
)
from tests.tasks.task_helpers import call, final, run_task, turn

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("fresh_layer"),
]


async def messages_until_answered(socket: Any) -> list[dict[str, Any]]:
    """Frames until an assistant message arrives done (or failed)."""
    frames = []
    while True:
        frame = await receive(socket)
        frames.append(frame)
        message = frame.get("message") or {}
        if message.get("role") == "assistant" and message.get("status") in ("done", "failed"):
            return frames


async def test_someone_elses_conversation_is_refused_as_missing() -> None:
    owner = await sync_to_async(make_user)()
    other = await sync_to_async(make_user)()
    conversation = await new_conversation(owner)

    socket = await connect(f"/ws/copilot/{conversation.pk}/", other)
    frame = await receive(socket)
    assert frame == {
        "type": "error",
        "code": "conversation_not_found",
        "message": "No conversation with that id.",
    }
    assert (await socket.receive_output(timeout=3))["code"] == p.CLOSE_NOT_FOUND


async def test_anonymous_sockets_are_refused_before_the_handshake() -> None:
    owner = await sync_to_async(make_user)()
    conversation = await new_conversation(owner)

    socket = communicator(f"/ws/copilot/{conversation.pk}/")
    connected, code = await socket.connect(timeout=3)

    assert not connected and code == p.CLOSE_FORBIDDEN


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"action": "send", "text": "   "}, "Write a message."),
        ({"action": "send"}, "Write a message."),
        ({"action": "send", "text": 12}, "Write a message."),
        ({"action": "send", "text": "x" * 4001}, "A message is limited to 4000 characters."),
        ({"action": "send", "text": "hi", "interrupt": "yes"}, "interrupt must be true or false."),
        ({"action": "send", "text": "hi", "context": "ticket 4"}, "context must be an object"),
        ({"action": "retry", "message_id": 99}, "Only a message whose answer failed"),
        ({"action": "retry", "message_id": True}, "Only a message whose answer failed"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_stays(
    frame: dict[str, Any], message: str
) -> None:
    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    socket = await connect(f"/ws/copilot/{conversation.pk}/", user)

    await send(socket, frame)
    error = await receive(socket)

    assert error["type"] == "error" and error["message"].startswith(message)
    await send(socket, {"action": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_a_message_is_answered_live_piece_by_piece_then_stored() -> None:
    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    copilot = copilot_with()
    socket = await connect(f"/ws/copilot/{conversation.pk}/?after_seq=0", user)
    assert (await receive(socket))["type"] == "synced"

    await send(socket, {"action": "send", "text": "how many refunds wait for approval?"})
    accepted = await receive(socket)
    assert accepted["type"] == "accepted"
    copilot.wake(conversation.pk)  # as the worker does on the wake-up message
    frames = await messages_until_answered(socket)
    await copilot.join()

    deltas = "".join(f["delta"] for f in frames if f["type"] == "delta")
    answer = frames[-1]["message"]
    assert deltas == answer["body"] == "No refunds are waiting for approval."
    roles = [
        (f["message"]["role"], f["message"]["status"]) for f in frames if f["type"] == "message"
    ]
    assert roles[0] == ("user", "queued")
    assert ("assistant", "answering") in roles
    await socket.disconnect()


async def test_a_delegated_tasks_card_and_completion_notice_arrive_live_and_after_a_reconnect() -> (
    None
):
    # given a conversation whose copilot delegated a ticket, watched on a socket
    user = await sync_to_async(make_user)()
    ticket = await sync_to_async(make_ticket)(
        category="billing", status="open", created_at=timezone.now()
    )
    conversation = await new_conversation(user)
    socket = await connect(f"/ws/copilot/{conversation.pk}/?after_seq=0", user)
    await receive_until(socket, "synced")
    await post(conversation, f"investigate #{ticket.number}")
    copilot = copilot_with(
        [
            turn(call("start_investigations", {"ticket_numbers": [ticket.number]}, id="c1")),
            final("Started."),
        ]
    )
    copilot.wake(conversation.pk)
    frames = await messages_until_answered(socket)
    await copilot.join()
    answer = frames[-1]
    assert [card["status"] for card in answer["message"]["cards"]] == ["queued"]
    seen_seq = answer["seq"]
    delegated = await ConversationTask.objects.select_related("task").aget(
        conversation=conversation
    )

    # when the task runs to the end in the worker
    await run_task(delegated.task, [final("All sorted.")])
    await get_notifier().drained()

    # then its card follows it live, and the notice arrives
    frames: list[dict[str, Any]] = []

    def seen_notice() -> bool:
        return any(f["type"] == "message" and f["message"]["role"] == "notice" for f in frames)

    def seen_completed_card() -> bool:
        return any(
            f["type"] == "card" and f["card"]["status"] == Task.Status.COMPLETED for f in frames
        )

    while not (seen_notice() and seen_completed_card()):
        frames.append(await receive(socket))
    notice = next(f for f in frames if f["type"] == "message")
    assert notice["message"]["body"] == f"Task {delegated.task_id} on #{ticket.number} completed."
    await socket.disconnect()

    # and a socket that reconnects after the answer gets the notice once, nothing older
    again = await connect(f"/ws/copilot/{conversation.pk}/?after_seq={seen_seq}", user)
    caught = await receive_until(again, "synced")
    kinds = [
        (f["message"]["role"], f["message"]["status"]) for f in caught if f["type"] == "message"
    ]
    assert kinds == [("notice", "queued")]
    assert caught[-1]["seq"] > seen_seq
    await again.disconnect()


async def test_an_api_token_socket_of_another_user_is_refused_too() -> None:
    from tests.factories import make_api_token

    owner = await sync_to_async(make_user)()
    conversation = await new_conversation(owner)
    _, key = await sync_to_async(make_api_token)()
    socket = communicator(
        f"/ws/copilot/{conversation.pk}/", (b"authorization", f"Bearer {key}".encode())
    )
    connected, _ = await socket.connect(timeout=3)
    assert connected
    assert (await receive(socket))["code"] == "conversation_not_found"


async def test_every_page_hears_the_unseen_count_change_live() -> None:
    from tasks.services.conversations import conversation_mark_seen, delegation_add, notice_add
    from tests.factories import make_task

    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    task = await sync_to_async(make_task)()
    await sync_to_async(delegation_add)(conversation_id=conversation.pk, task=task, message_id=None)
    socket = await connect("/ws/me/", user)
    assert await receive(socket) == {"type": "unseen", "count": 0}

    # when a delegated task reports back
    await sync_to_async(notice_add)(task_id=task.pk, body="Task done.")
    assert await receive(socket) == {"type": "unseen", "count": 1}

    # and when the conversation is seen
    fresh = await Conversation.objects.aget(pk=conversation.pk)
    await sync_to_async(conversation_mark_seen)(conversation=fresh)
    assert await receive(socket) == {"type": "unseen", "count": 0}
    await socket.disconnect()
