"""Who may open the live sockets: active staff only, from an allowed origin; a socket for an
unknown task or ticket says so and closes; staff who lose access mid-socket are cut off."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from tasks.live import protocol as p
from tests.factories import make_api_token, make_task, make_ticket, make_user
from tests.tasks.live_helpers import (
    FOREIGN_ORIGIN,
    TIMEOUT,
    communicator,
    connect,
    fresh_layer,  # noqa: F401
    receive,
    send,
    session_cookie,
    websocket_app,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("fresh_layer"),
]


async def _task_path() -> str:
    task = await sync_to_async(make_task)()
    return f"/ws/tasks/{task.pk}/"


@pytest.mark.parametrize("path", ["/ws/dashboard/", "TASK", "/ws/tickets/4242/"])
async def test_an_anonymous_socket_is_refused_before_the_handshake(path):
    if path == "TASK":
        path = await _task_path()
    await sync_to_async(make_ticket)(number=4242)

    socket = communicator(path)
    connected, code = await socket.connect(timeout=TIMEOUT)

    assert (connected, code) == (False, p.CLOSE_FORBIDDEN)


async def test_a_signed_in_user_who_is_not_staff_is_refused():
    customer_side = await sync_to_async(make_user)(staff=False)

    socket = communicator(await _task_path(), await session_cookie(customer_side))
    connected, code = await socket.connect(timeout=TIMEOUT)

    assert (connected, code) == (False, p.CLOSE_FORBIDDEN)


async def test_a_foreign_origin_is_refused_even_for_staff():
    from channels.testing import WebsocketCommunicator

    staff = await sync_to_async(make_user)()
    socket = WebsocketCommunicator(
        websocket_app(), "/ws/dashboard/", headers=[FOREIGN_ORIGIN, await session_cookie(staff)]
    )
    connected, _ = await socket.connect(timeout=TIMEOUT)

    assert connected is False


async def test_staff_with_a_session_and_api_clients_with_a_token_are_let_in():
    staff = await sync_to_async(make_user)()
    _, key = await sync_to_async(make_api_token)()

    by_session = await connect("/ws/dashboard/", staff)
    by_token = communicator("/ws/dashboard/", (b"authorization", f"Bearer {key}".encode()))
    connected, _ = await by_token.connect(timeout=TIMEOUT)
    await send(by_token, {"action": "ping"})

    assert connected
    assert await receive(by_token) == {"type": "pong"}
    await by_session.disconnect()
    await by_token.disconnect()


async def test_a_wrong_token_is_refused():
    await sync_to_async(make_api_token)()

    socket = communicator("/ws/dashboard/", (b"authorization", b"Bearer adk_not-a-real-key"))
    connected, code = await socket.connect(timeout=TIMEOUT)

    assert (connected, code) == (False, p.CLOSE_FORBIDDEN)


async def test_an_unknown_task_or_ticket_gets_an_error_frame_then_a_close():
    staff = await sync_to_async(make_user)()

    for path, code, message in [
        ("/ws/tasks/987654/", p.TASK_NOT_FOUND, p.TASK_NOT_FOUND_MESSAGE),
        ("/ws/tickets/987654/", p.TICKET_NOT_FOUND, p.TICKET_NOT_FOUND_MESSAGE),
    ]:
        socket = await connect(path, staff)
        assert await receive(socket) == {"type": "error", "code": code, "message": message}
        closed = await socket.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": p.CLOSE_NOT_FOUND}


async def test_staff_who_lost_access_get_a_forbidden_frame_on_their_next_subscribe():
    staff = await sync_to_async(make_user)()
    socket = await connect(await _task_path(), staff)
    await sync_to_async(User.objects.filter(pk=staff.pk).update)(is_staff=False)

    await send(socket, {"action": "subscribe", "after_seq": 0})

    assert await receive(socket) == {
        "type": "error",
        "code": p.FORBIDDEN,
        "message": p.FORBIDDEN_MESSAGE,
    }
    assert await socket.receive_output(timeout=TIMEOUT) == {
        "type": "websocket.close",
        "code": p.CLOSE_FORBIDDEN,
    }
