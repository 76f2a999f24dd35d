"""What every live socket shares: staff-only access, joining its groups before accepting,
JSON frames with an ``action`` dispatched to a handler, and error frames instead of dropped
sockets (``tasks.live.protocol``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch

from tasks.live import protocol as p
from tasks.live.access import Credential, get_access_watch
from tasks.live.hub import get_hub, new_inbox
from tasks.live.outgoing import batch_events
from tasks.live.selectors import live_user_allowed, live_user_still_allowed
from tasks.live.threads import in_live_thread
from tasks.runtime.metrics import WEBSOCKETS_OPEN

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class FrameError(Exception):
    """A client frame we answer with an error frame (the socket stays open)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def whole_number(value: Any, message: str) -> int:
    """``value`` as an int >= 0 (a bool or a float is refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FrameError(p.BAD_REQUEST, message)
    return value


class LiveConsumer(AsyncWebsocketConsumer):
    """Subclasses set their groups in ``authorise`` and add actions to ``handlers``."""

    fmt: str = p.FORMAT_JSON

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """As channels' own, except that group messages come through the process's hub
        (``tasks.live.hub``) into this socket's inbox rather than a channel-layer channel of
        its own: one layer delivery per process, not per socket."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        self.inbox = new_inbox()
        self.groups_joined: list[str] = []
        try:
            await await_many_dispatch([receive, self.inbox.get], self.dispatch)
        except StopConsumer:
            pass
        finally:
            get_access_watch().remove(self)
            await self.leave_groups()

    async def leave_groups(self) -> None:
        joined, self.groups_joined = self.groups_joined, []
        for group in joined:
            await get_hub().leave(group, self.inbox)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """As channels' own, without its ``close_old_connections`` before every handler: that
        is a hop to the database thread for each live event on each socket, which queued the
        events behind the worker's database work (seconds under load). The database reads
        here run in the live-updates pool (``tasks.live.threads``), which looks after its own
        connections."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- connecting -------------------------------------------------------------------------

    @property
    def metrics_name(self) -> str:
        """The socket's kind in the open-websockets metric: task, ticket, dashboard, ..."""
        return type(self).__name__.removesuffix("Consumer").lower() or "live"

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not live_user_allowed(user):
            # Refused before the handshake completes: the browser sees a 403.
            await self.close(code=p.CLOSE_FORBIDDEN)
            return
        self.user_id: int = user.pk
        self.fmt = self.query_param("format") or p.FORMAT_JSON
        problem = await self.authorise()
        if problem is not None:
            await self.accept()
            await self.send_error(*problem)
            await self.close(code=p.CLOSE_NOT_FOUND)
            return
        # Join first: whatever is published from now on reaches us; anything earlier is in
        # the database for the catch-up.
        for group in self.live_groups():
            self.groups_joined.append(group)
            await get_hub().join(group, self.inbox)
        await self.accept()
        WEBSOCKETS_OPEN.labels(self.metrics_name).inc()
        self._counted = True
        get_access_watch().add(self, self.credential(), self.revoke)
        if self.fmt not in p.FORMATS:
            self.fmt = p.FORMAT_JSON
            await self.send_error(p.BAD_REQUEST, p.FORMAT_INVALID)
        await self.connected()

    def credential(self) -> Credential:
        """What let this socket in: its session (browsers) or API token (integrations)."""
        session = self.scope.get("session")
        token_id = self.scope.get("api_token_id")
        return Credential(
            user_id=self.user_id,
            session_key=None if token_id is not None else getattr(session, "session_key", None),
            token_id=token_id,
        )

    async def revoke(self) -> None:
        """Access was revoked while the socket was open: say so and close (4403)."""
        await self.send_error(p.FORBIDDEN, p.ACCESS_REVOKED_MESSAGE)
        await self.close(code=p.CLOSE_FORBIDDEN)
        await self.leave_groups()

    async def authorise(self) -> tuple[str, str] | None:
        """Looks up what the socket follows: None, or the error (code, message) to close with."""
        return None

    def live_groups(self) -> list[str]:
        return []

    async def connected(self) -> None:
        """After the handshake (e.g. subscribe from the query string)."""

    async def disconnect(self, code: int) -> None:
        if getattr(self, "_counted", False):
            self._counted = False
            WEBSOCKETS_OPEN.labels(self.metrics_name).dec()
        get_access_watch().remove(self)
        await self.leave_groups()

    async def after_seq_param(self) -> int | None:
        """``?after_seq=N`` of the URL (subscribe from the start); None when absent or invalid
        (then the client hears why, and the socket waits for a subscribe frame)."""
        after = self.query_param("after_seq")
        if after is None:
            return None
        if not after.isdecimal():
            await self.send_error(p.BAD_REQUEST, p.AFTER_SEQ_INVALID)
            return None
        return int(after)

    def query_param(self, name: str) -> str | None:
        raw = self.scope.get("query_string", b"").decode("latin-1")
        values = parse_qs(raw).get(name)
        return values[-1] if values else None

    # --- frames from the client -------------------------------------------------------------

    def handlers(self) -> dict[str, Handler]:
        return {"ping": self.action_ping}

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = self.parse(text_data, bytes_data)
            action = content.get("action")
            handlers = self.handlers()
            handler = handlers.get(action) if isinstance(action, str) else None
            if handler is None:
                actions = ", ".join(sorted(handlers))
                raise FrameError(p.UNKNOWN_ACTION, p.UNKNOWN_ACTION_MESSAGE.format(actions=actions))
            await handler(content)
        except FrameError as error:
            await self.send_error(error.code, error.message)
        except Exception:
            logger.exception("A live socket action failed")
            await self.send_error(p.INTERNAL, p.INTERNAL_MESSAGE)

    def parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        if text_data is None:
            raise FrameError(p.BINARY_FRAME, p.BINARY_FRAME_MESSAGE)
        # Characters never outnumber UTF-8 bytes: count bytes only when it could matter.
        if len(text_data) > p.MAX_FRAME_BYTES // 4 and (
            len(text_data.encode("utf-8", "surrogatepass")) > p.MAX_FRAME_BYTES
        ):
            raise FrameError(p.FRAME_TOO_LARGE, p.FRAME_TOO_LARGE_MESSAGE)
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError) as error:
            # RecursionError: "[[[[..." nested deeper than the parser goes.
            raise FrameError(p.BAD_JSON, p.BAD_JSON_MESSAGE) from error
        if not isinstance(content, dict):
            raise FrameError(p.BAD_JSON, p.BAD_JSON_MESSAGE)
        return content

    def requested_format(self, content: dict[str, Any]) -> str:
        fmt = content.get("format", self.fmt)
        if fmt not in p.FORMATS:
            raise FrameError(p.BAD_REQUEST, p.FORMAT_INVALID)
        return str(fmt)

    async def still_allowed(self) -> bool:
        """Re-checks the user; if they lost access, says so and closes."""
        if await in_live_thread(live_user_still_allowed)(user_id=self.user_id):
            return True
        await self.send_error(p.FORBIDDEN, p.FORBIDDEN_MESSAGE)
        await self.close(code=p.CLOSE_FORBIDDEN)
        return False

    async def action_ping(self, content: dict[str, Any]) -> None:
        await self.send(text_data=p.dumps({"type": "pong"}))

    # --- frames to the client ---------------------------------------------------------------

    async def send_error(self, code: str, message: str) -> None:
        await self.send(text_data=p.error_frame(code, message))

    def has_frame(self, message: dict[str, Any]) -> bool:
        """Whether the publisher rendered this event for this socket's format."""
        return self.fmt != p.FORMAT_HTML or p.FRAME_HTML in message or p.HTML in message

    async def forward(self, message: dict[str, Any]) -> None:
        """Sends one event in this socket's format (its frame was built once, by the
        publisher; an event taken out of a batch, or from elsewhere, is framed here)."""
        if self.fmt == p.FORMAT_HTML:
            frame = message.get(p.FRAME_HTML)
            if frame is None:
                frame = p.html_frame(message, message.get(p.HTML) or "")
        else:
            frame = message.get(p.FRAME_JSON) or p.json_frame(message)
        await self.send(text_data=frame)

    async def live_resync(self, message: dict[str, Any]) -> None:
        """The hub lost the channel layer for a while (e.g. Redis restarted): events may have
        been missed. By default the client is told to re-read its state."""
        await self.send(text_data=p.dumps({"type": "resync"}))

    async def task_event(self, message: dict[str, Any]) -> None:
        """A group message of one event (``type: task.event``)."""
        await self.forward(message)

    async def task_events(self, message: dict[str, Any]) -> None:
        """A group message of several events (``type: task.events``), in order."""
        for event in batch_events(message):
            await self.task_event(event)
