"""Helpers for the live websocket tests: the production websocket stack (origin check, session
auth, routes) without the process's background services, signed-in sockets, and storing plus
publishing task events the way the runtime does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from tasks.events import events_publish, events_store
from tasks.models import TaskEvent

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
FOREIGN_ORIGIN = (b"origin", b"http://evil.example")
TIMEOUT = 3


def websocket_app() -> Any:
    """``config.asgi``'s websocket branch: AllowedHostsOriginValidator(AuthMiddlewareStack(
    URLRouter(websocket_urlpatterns))). The outer wrapper, which would start the embedded
    worker in the test's event loop, is left out."""
    from config.asgi import application

    return application.app.application_mapping["websocket"]


def _session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={value}".encode()


async def session_cookie(user: User) -> tuple[bytes, bytes]:
    return (b"cookie", await sync_to_async(_session_cookie)(user))


def communicator(path: str, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    return WebsocketCommunicator(websocket_app(), path, headers=[ORIGIN, *headers])


async def connect(path: str, user: User | None) -> WebsocketCommunicator:
    """A socket signed in as ``user``, connected (asserts the handshake succeeded)."""
    headers = [await session_cookie(user)] if user is not None else []
    socket = communicator(path, *headers)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    return socket


async def receive(socket: WebsocketCommunicator) -> dict[str, Any]:
    return json.loads(await socket.receive_from(timeout=TIMEOUT))


async def receive_until(socket: WebsocketCommunicator, frame_type: str) -> list[dict[str, Any]]:
    """Frames up to and including the first of ``frame_type``."""
    frames = []
    while True:
        frame = await receive(socket)
        frames.append(frame)
        if frame["type"] == frame_type:
            return frames


async def send(socket: WebsocketCommunicator, frame: dict[str, Any]) -> None:
    await socket.send_to(text_data=json.dumps(frame))


async def store(task_id: int, *events: tuple[str, dict[str, Any]]) -> list[TaskEvent]:
    """Stores events (next seqs) without publishing them."""
    return await sync_to_async(events_store)(task_id=task_id, events=list(events))


async def store_and_publish(task_id: int, *events: tuple[str, dict[str, Any]]) -> list[TaskEvent]:
    stored = await store(task_id, *events)
    await events_publish(stored)
    return stored


async def settle(seconds: float = 0.05) -> None:
    """Lets the consumers take what the layer delivered."""
    await asyncio.sleep(seconds)


def seqs(frames: Sequence[dict[str, Any]]) -> list[int]:
    return [frame["seq"] for frame in frames if frame["type"] == "event"]


@pytest_asyncio.fixture(autouse=False)
async def fresh_layer() -> None:
    """An empty in-memory layer for each test (its queues belong to one event loop). Import
    it into a test module and use it with ``pytest.mark.usefixtures``."""
    layer = get_channel_layer()
    await layer.flush()
