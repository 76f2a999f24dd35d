"""Open sockets follow access: logout, deactivation, loss of staff status and token deletion
close them (4403) within the access-check interval, with an error frame first."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session

from tasks.live import protocol as p
from tasks.models import ApiToken
from tests.factories import make_api_token, make_task, make_user
from tests.tasks.live_helpers import TIMEOUT, communicator, connect, receive

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def _fast_checks(settings):
    settings.LIVE_ACCESS_CHECK_SECONDS = 0.05


async def _closed_with_forbidden(socket) -> None:
    frame = await receive(socket)
    assert frame["type"] == "error" and frame["code"] == p.FORBIDDEN
    assert frame["message"] == p.ACCESS_REVOKED_MESSAGE
    output = await socket.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": p.CLOSE_FORBIDDEN}


def _revoke(kind: str, user: User) -> None:
    if kind == "logout":
        Session.objects.all().delete()  # what logout does to the user's session
    elif kind == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif kind == "not_staff":
        User.objects.filter(pk=user.pk).update(is_staff=False)


@pytest.mark.parametrize("kind", ["logout", "deactivated", "not_staff"])
@pytest.mark.parametrize("path", ["/ws/tasks/{task}/", "/ws/dashboard/"])
async def test_a_session_socket_closes_when_access_ends(kind, path):
    user = await sync_to_async(make_user)()
    task = await sync_to_async(make_task)()
    socket = await connect(path.format(task=task.pk), user)
    await socket.send_to(text_data=json.dumps({"action": "ping"}))
    assert (await receive(socket))["type"] in {"pong", "event", "synced", "subscribed"}

    await sync_to_async(_revoke)(kind, user)

    while True:  # frames sent before the revocation may come first
        frame = await receive(socket)
        if frame["type"] == "error":
            break
    assert frame["code"] == p.FORBIDDEN
    assert await socket.receive_output(timeout=TIMEOUT) == {
        "type": "websocket.close",
        "code": p.CLOSE_FORBIDDEN,
    }


async def test_a_token_socket_closes_when_its_token_is_deleted():
    user = await sync_to_async(make_user)()
    token, key = await sync_to_async(make_api_token)(user=user)
    task = await sync_to_async(make_task)()
    socket = communicator(f"/ws/tasks/{task.pk}/", (b"authorization", f"Bearer {key}".encode()))
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected

    await ApiToken.objects.filter(pk=token.pk).adelete()

    await _closed_with_forbidden(socket)


async def test_a_socket_whose_access_holds_stays_open():
    user = await sync_to_async(make_user)()
    socket = await connect("/ws/dashboard/", user)
    await asyncio.sleep(0.3)  # several access checks pass

    await socket.send_to(text_data=json.dumps({"action": "ping"}))
    frames = [await receive(socket)]
    while frames[-1]["type"] != "pong":
        frames.append(await receive(socket))
    assert not any(f["type"] == "error" for f in frames)
    await socket.disconnect()


async def test_a_deeply_nested_frame_is_bad_json():
    user = await sync_to_async(make_user)()
    socket = await connect("/ws/dashboard/", user)

    await socket.send_to(text_data="[" * 20_000 + "]" * 20_000)  # under the size limit

    frames = [await receive(socket)]
    while frames[-1]["type"] != "error":
        frames.append(await receive(socket))
    assert frames[-1]["code"] == p.BAD_JSON
    await socket.disconnect()
