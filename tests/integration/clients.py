"""Clients of the running web processes, as real users drive them: the JSON API with a token,
Django admin with a session, and the websocket event stream (``websockets``)."""

from __future__ import annotations

import asyncio
import json
import secrets
import string
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import Cookie, CookieJar
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException
from websockets.typing import Origin

from tasks.services.api_tokens import api_token_create


class ApiClient:
    """The JSON API with a per-user bearer token (created in the database directly)."""

    def __init__(self, base_url: str, user: User) -> None:
        self.base_url = base_url
        _, self.token = api_token_create(user=user, name="integration")

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/api{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def start_ticket_task(self, number: int) -> dict[str, Any]:
        return self.request("POST", "/tasks", {"ticket_number": number})

    def task(self, task_id: int) -> dict[str, Any]:
        return self.request("GET", f"/tasks/{task_id}")


def _cookie(name: str, value: str) -> Cookie:
    return Cookie(
        0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None, False,
        None, None, {}
    )  # fmt: skip


class AdminClient:
    """Django admin as a signed-in user. The session is made in the database the way Django's
    test client logs in (``force_login``); every request then goes through the web process:
    CSRF, permissions and the admin's own views."""

    def __init__(self, base_url: str, user: User) -> None:
        self.base_url = base_url
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        # As force_login: the first backend that can load users (not django-axes' own).
        session[BACKEND_SESSION_KEY] = next(
            path
            for path in settings.AUTHENTICATION_BACKENDS
            if hasattr(load_backend(path), "get_user")
        )
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        alphabet = string.ascii_letters + string.digits
        self.csrf = "".join(secrets.choice(alphabet) for _ in range(32))
        self.jar = CookieJar()
        self.jar.set_cookie(_cookie(settings.SESSION_COOKIE_NAME, session.session_key or ""))
        self.jar.set_cookie(_cookie(settings.CSRF_COOKIE_NAME, self.csrf))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.csrf}).encode()
        request = urllib.request.Request(
            f"{self.base_url}{path}", data=data, method="POST", headers={"Referer": self.base_url}
        )
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")

    def decide(self, approval_id: int, *, approve: bool, note: str = "") -> str:
        """Approves or rejects through the admin's decide view; returns the page it lands on."""
        decision = "approve" if approve else "reject"
        status, html = self.post(
            f"/admin/tasks/approvalrequest/{approval_id}/decide/",
            {"decision": decision, "note": note},
        )
        assert status == 200, html[:2000]
        return html


# --- websockets ---------------------------------------------------------------------------------

RECONNECT_SECONDS = 0.3


@dataclass
class TaskStream:
    """Follows ``ws/tasks/<id>/`` in a background thread, as a client that reconnects after a
    dropped socket and says the last seq it saw (catch-up by seq: no gap, no duplicate).

    ``seqs`` are the stored events' numbers in the order received; ``done`` is set once a
    frame of an ending event arrived."""

    base_url: str
    task_id: int
    token: str
    until: frozenset[str] = frozenset({"task.completed", "task.failed", "task.cancelled"})
    seqs: list[int] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    connections: int = 0
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    def start(self) -> TaskStream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    async def _run(self) -> None:
        ws_url = self.base_url.replace("http://", "ws://")
        while not self._stop.is_set() and not self.done.is_set():
            try:
                async with connect(
                    f"{ws_url}/ws/tasks/{self.task_id}/",
                    origin=Origin(self.base_url),
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    open_timeout=5,
                ) as socket:
                    self.connections += 1
                    await socket.send(
                        json.dumps({"action": "subscribe", "after_seq": self.last_seq})
                    )
                    await self._receive(socket)
            except (OSError, WebSocketException, TimeoutError) as exc:
                self.errors.append(repr(exc))
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _receive(self, socket: Any) -> None:
        while not self._stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            frame = json.loads(raw)
            if frame.get("type") != "event" or frame.get("seq") is None:
                continue
            self.seqs.append(frame["seq"])
            self.events.append(frame["event"])
            if frame["event"] in self.until:
                self.done.set()
                return


@dataclass
class DashboardStream:
    """Follows ``ws/dashboard/`` in a background thread and keeps, per task, the last seq and
    event it knows. A dashboard has no replay: after a dropped socket, a ``resync`` frame or a
    gap it catches up each task it knows from the task's own socket (by seq), like the portal
    re-reading its board."""

    base_url: str
    token: str
    last: dict[int, tuple[int, str]] = field(default_factory=dict)
    catch_ups: int = 0
    connections: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> DashboardStream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def knows(self, task_id: int, event: str) -> bool:
        return self.last.get(task_id, (0, ""))[1] == event

    async def _run(self) -> None:
        ws_url = self.base_url.replace("http://", "ws://")
        while not self._stop.is_set():
            try:
                async with connect(
                    f"{ws_url}/ws/dashboard/",
                    origin=Origin(self.base_url),
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    open_timeout=5,
                ) as socket:
                    self.connections += 1
                    await socket.send(json.dumps({"action": "subscribe"}))
                    if self.connections > 1:
                        await self._catch_up_all()
                    await self._receive(socket)
            except (OSError, WebSocketException, TimeoutError):
                pass
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _receive(self, socket: Any) -> None:
        while not self._stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            frame = json.loads(raw)
            if frame.get("type") == "resync":
                await self._catch_up_all()
            elif frame.get("type") == "event" and frame.get("seq") is not None:
                task_id, seq = frame["task_id"], frame["seq"]
                known = self.last.get(task_id, (0, ""))[0]
                if seq == known + 1 or task_id not in self.last:
                    self.last[task_id] = (seq, frame["event"])
                elif seq > known + 1:
                    await self._catch_up(task_id)

    async def _catch_up_all(self) -> None:
        for task_id in list(self.last):
            await self._catch_up(task_id)

    async def _catch_up(self, task_id: int) -> None:
        """Reads what the dashboard missed of one task from its socket, up to ``synced``."""
        self.catch_ups += 1
        ws_url = self.base_url.replace("http://", "ws://")
        after = self.last.get(task_id, (0, ""))[0]
        async with connect(
            f"{ws_url}/ws/tasks/{task_id}/",
            origin=Origin(self.base_url),
            additional_headers={"Authorization": f"Bearer {self.token}"},
            open_timeout=5,
        ) as socket:
            await socket.send(json.dumps({"action": "subscribe", "after_seq": after}))
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                if frame.get("type") == "synced":
                    return
                if frame.get("type") == "event" and frame.get("seq") is not None:
                    self.last[task_id] = (frame["seq"], frame["event"])
