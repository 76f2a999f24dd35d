"""``ws/copilot/<id>/``: one copilot conversation, for its owner only.

Client -> server::

    {"action": "subscribe", "after_seq": 12}          # or ?after_seq=12 on the URL
    {"action": "send", "text": "...", "interrupt": false, "context": {"ticket_number": 1004}}
    {"action": "retry", "message_id": 31}
    {"action": "ping"}

Server -> client::

    {"type": "message", "seq": 13, "message": {"id": 31, "role": "assistant", "status": "done",
     "body": "...", "cards": [{"task_id": 7, "status": "running", "todos_done": 1, ...}], ...}}
    {"type": "delta", "message_id": 31, "delta": "Started"}   # an answer being streamed
    {"type": "card", "card": {"task_id": 7, "status": "completed", ...}}   # a delegated task
    {"type": "synced", "seq": 13} · {"type": "accepted", "message_id": 30} · {"type": "pong"}
    {"type": "error", "code": "bad_request", "message": "Write a message."}

Every new or changed message takes the conversation's next ``seq``; a socket that reconnects
says the last one it saw and gets each message changed since, once, in its latest state. The
socket follows the tasks the conversation delegated (their groups) and sends their cards as
they progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from tasks.consumers.base import FrameError, Handler, LiveConsumer, whole_number
from tasks.copilot.runner import get_copilot
from tasks.copilot_selectors import conversation_for_user
from tasks.live import protocol as p
from tasks.live.groups import conversation_group, task_group
from tasks.live.hub import get_hub
from tasks.live.outgoing import batch_events
from tasks.live.threads import in_live_thread
from tasks.models import Conversation
from tasks.presentation.copilot import cards_for, conversation_view
from tasks.services.conversations import conversation_mark_seen, message_post, message_retry
from tools_app.errors import ApplicationError

logger = logging.getLogger(__name__)

CONVERSATION_NOT_FOUND = "conversation_not_found"
CONVERSATION_NOT_FOUND_MESSAGE = "No conversation with that id."
CONTEXT_INVALID = 'context must be an object such as {"ticket_number": 1004}.'


def _context(raw: Any) -> dict[str, Any]:
    """The page a message was sent from: a ticket number and/or a backlog filter, nothing else."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FrameError(p.BAD_REQUEST, CONTEXT_INVALID)
    context: dict[str, Any] = {}
    number = raw.get("ticket_number")
    if number is not None:
        context["ticket_number"] = whole_number(number, CONTEXT_INVALID)
    backlog = raw.get("filter")
    if isinstance(backlog, str) and backlog.strip():
        context["filter"] = backlog.strip()[:200]
    return context


def _post(
    conversation_id: int, user_id: int, text: Any, interrupt: bool, context: dict[str, Any]
) -> int:
    conversation = conversation_for_user(user_id=user_id, conversation_id=conversation_id)
    if conversation is None:
        raise ApplicationError(CONVERSATION_NOT_FOUND_MESSAGE)
    message = message_post(
        conversation=conversation, text=text, interrupt=interrupt, context=context
    )
    return message.pk


def _retry(conversation_id: int, user_id: int, message_id: Any) -> int:
    conversation = conversation_for_user(user_id=user_id, conversation_id=conversation_id)
    if conversation is None:
        raise ApplicationError(CONVERSATION_NOT_FOUND_MESSAGE)
    return message_retry(conversation=conversation, message_id=message_id).pk


def _mark_seen(conversation_id: int, user_id: int) -> None:
    conversation = conversation_for_user(user_id=user_id, conversation_id=conversation_id)
    if conversation is not None:
        conversation_mark_seen(conversation=conversation)


class CopilotConsumer(LiveConsumer):
    async def authorise(self) -> tuple[str, str] | None:
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        self.last_seq: int | None = None
        self.task_ids: set[int] = set()
        self.dirty = False
        self.refresher: asyncio.Task[None] | None = None
        self.cards_due: set[int] = set()
        self.card_job: asyncio.Task[None] | None = None
        conversation: Conversation | None = await in_live_thread(conversation_for_user)(
            user_id=self.user_id, conversation_id=self.conversation_id
        )
        if conversation is None:
            # Someone else's conversation reads as missing.
            return CONVERSATION_NOT_FOUND, CONVERSATION_NOT_FOUND_MESSAGE
        return None

    def live_groups(self) -> list[str]:
        return [conversation_group(self.conversation_id)]

    async def connected(self) -> None:
        after = await self.after_seq_param()
        if after is not None:
            self.subscribe(after)

    async def disconnect(self, code: int) -> None:
        for job in (self.refresher, self.card_job):
            if job is not None:
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await job
        await super().disconnect(code)

    def handlers(self) -> dict[str, Handler]:
        return {
            **super().handlers(),
            "subscribe": self.action_subscribe,
            "send": self.action_send,
            "retry": self.action_retry,
        }

    # --- actions ----------------------------------------------------------------------------

    async def action_subscribe(self, content: dict[str, Any]) -> None:
        after = whole_number(content.get("after_seq", 0), p.AFTER_SEQ_INVALID)
        if not await self.still_allowed():
            return
        self.subscribe(after)

    async def action_send(self, content: dict[str, Any]) -> None:
        interrupt = content.get("interrupt", False)
        if not isinstance(interrupt, bool):
            raise FrameError(p.BAD_REQUEST, "interrupt must be true or false.")
        context = _context(content.get("context"))
        if not await self.still_allowed():
            return
        # Where this process also answers (embedded worker), its background runs wait from
        # now until the answer's first token.
        release = get_copilot().expect(self.conversation_id)
        try:
            message_id = await in_live_thread(_post)(
                self.conversation_id, self.user_id, content.get("text"), interrupt, context
            )
        except ApplicationError as exc:
            release()
            raise FrameError(p.BAD_REQUEST, exc.message) from None
        except BaseException:
            release()
            raise
        await self.send(text_data=p.dumps({"type": "accepted", "message_id": message_id}))

    async def action_retry(self, content: dict[str, Any]) -> None:
        if not await self.still_allowed():
            return
        try:
            message_id = await in_live_thread(_retry)(
                self.conversation_id, self.user_id, content.get("message_id")
            )
        except ApplicationError as exc:
            raise FrameError(p.BAD_REQUEST, exc.message) from None
        await self.send(text_data=p.dumps({"type": "accepted", "message_id": message_id}))

    # --- messages -----------------------------------------------------------------------------

    def subscribe(self, after_seq: int) -> None:
        """(Re)starts from ``after_seq``: every message changed since, then live changes."""
        if self.refresher is not None:
            self.refresher.cancel()
        self.last_seq = after_seq
        self.dirty = False
        self.refresher = asyncio.get_running_loop().create_task(self.refresh())

    def changed(self) -> None:
        if self.last_seq is None:
            return  # not subscribed yet
        if self.refresher is not None and not self.refresher.done():
            self.dirty = True
            return
        self.refresher = asyncio.get_running_loop().create_task(self.refresh())

    async def refresh(self) -> None:
        try:
            first = True
            while first or self.dirty:
                first, self.dirty = False, False
                await self._send_changes()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Reading conversation %s failed", self.conversation_id)
            await self.send_error(p.INTERNAL, p.INTERNAL_MESSAGE)

    async def _send_changes(self) -> None:
        assert self.last_seq is not None
        synced = self.last_seq
        view = await in_live_thread(conversation_view)(
            conversation_id=self.conversation_id, after_seq=self.last_seq
        )
        await self.follow_tasks(view.task_ids)
        for message in view.messages:
            await self.send(
                text_data=p.dumps({"type": "message", "seq": message["seq"], "message": message})
            )
        self.last_seq = max(synced, view.last_seq)
        await self.send(text_data=p.dumps({"type": "synced", "seq": self.last_seq}))
        if any(m["role"] == "notice" for m in view.messages):
            # Someone has this conversation open: its task updates are seen.
            await in_live_thread(_mark_seen)(self.conversation_id, self.user_id)

    async def follow_tasks(self, task_ids: list[int]) -> None:
        for task_id in task_ids:
            if task_id in self.task_ids:
                continue
            self.task_ids.add(task_id)
            group = task_group(task_id)
            self.groups_joined.append(group)
            await get_hub().join(group, self.inbox)

    # --- group messages -----------------------------------------------------------------------

    async def copilot_changed(self, message: dict[str, Any]) -> None:
        self.changed()

    async def copilot_delta(self, message: dict[str, Any]) -> None:
        if self.last_seq is None:
            return
        frame = {"type": "delta", "message_id": message["message_id"], "delta": message["delta"]}
        await self.send(text_data=p.dumps(frame))

    async def copilot_cards(self, message: dict[str, Any]) -> None:
        ids = [int(i) for i in message.get("task_ids", [])]
        await self.follow_tasks(ids)
        self.card_due(ids)

    async def live_resync(self, message: dict[str, Any]) -> None:
        """The hub lost the layer for a while: read again what changed, and every card."""
        self.changed()
        self.card_due(list(self.task_ids))

    async def task_event(self, message: dict[str, Any]) -> None:
        """An event of a delegated task: its card is sent again (once per burst)."""
        task_id = message.get("task_id")
        if isinstance(task_id, int) and task_id in self.task_ids:
            self.card_due([task_id])

    async def task_events(self, message: dict[str, Any]) -> None:
        self.card_due(
            [e["task_id"] for e in batch_events(message) if e["task_id"] in self.task_ids]
        )

    def card_due(self, task_ids: list[int]) -> None:
        if self.last_seq is None or not task_ids:
            return
        self.cards_due.update(task_ids)
        if self.card_job is None or self.card_job.done():
            self.card_job = asyncio.get_running_loop().create_task(self.send_cards())

    async def send_cards(self) -> None:
        try:
            while self.cards_due:
                due, self.cards_due = sorted(self.cards_due), set()
                cards = await in_live_thread(cards_for)(due)
                for task_id in due:
                    if task_id in cards:
                        await self.send(text_data=p.dumps({"type": "card", "card": cards[task_id]}))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Sending task cards failed")
