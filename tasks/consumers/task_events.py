"""``ws/tasks/<id>/``: one task's events, from the seq a client says it saw, with no gap and no
duplicate.

The socket joins the task's group before it accepts. On ``subscribe`` it reads what the client
missed from the database in a background job while live events keep arriving: those are
buffered, then flushed skipping every seq already sent. Live, each event must be the next seq;
anything else (a message the layer lost, or two processes publishing out of order) sends the
socket back to the database for the gap. Deltas (no seq) pass straight through when caught up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from tasks.consumers.base import FrameError, Handler, LiveConsumer, whole_number
from tasks.live import protocol as p
from tasks.live.catch_up import CHUNK, CatchUp, task_catch_up
from tasks.live.groups import task_group
from tasks.live.outgoing import batch_events
from tasks.live.selectors import live_task_exists
from tasks.live.threads import in_live_thread

logger = logging.getLogger(__name__)

# Live messages held while catching up; past this the buffer is dropped and the catch-up reads
# the database once more (everything published was stored first).
MAX_BUFFER = 1000


class TaskEventsConsumer(LiveConsumer):
    async def authorise(self) -> tuple[str, str] | None:
        self.task_id = int(self.scope["url_route"]["kwargs"]["task_id"])
        # Last seq sent; None until the client subscribes (before that nothing is sent).
        self.last_seq: int | None = None
        self.catching_up = False
        self.buffer: list[dict[str, Any]] = []
        self.overflowed = False
        self.job: asyncio.Task[None] | None = None
        if not await in_live_thread(live_task_exists)(task_id=self.task_id):
            return p.TASK_NOT_FOUND, p.TASK_NOT_FOUND_MESSAGE
        return None

    def live_groups(self) -> list[str]:
        return [task_group(self.task_id)]

    async def connected(self) -> None:
        after = await self.after_seq_param()
        if after is not None:
            self.start_catch_up(after)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "job", None) is not None and self.job is not None:
            self.job.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.job
        await super().disconnect(code)

    def handlers(self) -> dict[str, Handler]:
        return {**super().handlers(), "subscribe": self.action_subscribe}

    async def action_subscribe(self, content: dict[str, Any]) -> None:
        after = whole_number(content.get("after_seq", 0), p.AFTER_SEQ_INVALID)
        fmt = self.requested_format(content)
        if not await self.still_allowed():
            return
        if not await in_live_thread(live_task_exists)(task_id=self.task_id):
            raise FrameError(p.TASK_NOT_FOUND, p.TASK_NOT_FOUND_MESSAGE)
        self.fmt = fmt
        self.start_catch_up(after)

    # --- catching up --------------------------------------------------------------------------

    def start_catch_up(self, after_seq: int) -> None:
        """(Re)starts from ``after_seq``: a second subscribe replaces the first."""
        if self.job is not None:
            self.job.cancel()
        self.last_seq = after_seq
        self.catching_up = True
        self.buffer, self.overflowed = [], False
        self.job = asyncio.get_running_loop().create_task(self.catch_up())

    async def read_missed(self) -> CatchUp:
        assert self.last_seq is not None
        return await in_live_thread(task_catch_up)(
            task_id=self.task_id, after_seq=self.last_seq, fmt=self.fmt
        )

    async def after_read(self) -> None:
        """Between a database read and sending it (a seam for tests: events stored here
        arrive as live messages during the catch-up)."""

    async def catch_up(self) -> None:
        try:
            await self._catch_up()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Catching up task %s failed", self.task_id)
            self.catching_up = False
            await self.send_error(p.INTERNAL, p.INTERNAL_MESSAGE)

    async def _catch_up(self) -> None:
        while True:
            missed = await self.read_missed()
            await self.after_read()
            for frame in missed.frames:
                await self.send(text_data=frame)
            if missed.last_seq is not None:
                self.last_seq = missed.last_seq
            if missed.count >= CHUNK:
                continue
            if missed.last_seq is None and (self.last_seq or 0) > missed.task_last_seq:
                # The client saw seqs the database does not hold (it was reset): go on from
                # what there is; the "synced" seq below tells the client.
                self.last_seq = missed.task_last_seq
            if await self.flush_buffer():
                break
        # No await between the buffer running dry and this: no live event slips past both.
        self.catching_up = False
        await self.send(
            text_data=p.dumps({"type": "synced", "task_id": self.task_id, "seq": self.last_seq})
        )

    async def flush_buffer(self) -> bool:
        """Sends the buffered live messages that follow on, skipping what was already sent.
        False when the database must be read again (the buffer overflowed or has a gap)."""
        if self.overflowed:
            self.buffer, self.overflowed = [], False
            return False
        while self.buffer:
            message = self.buffer.pop(0)
            seq = message["seq"]
            assert self.last_seq is not None
            if seq <= self.last_seq:
                continue  # the database already gave it
            if seq != self.last_seq + 1 or not self.has_frame(message):
                self.buffer = []  # all stored: the next read has them
                return False
            self.last_seq = seq
            await self.forward(message)
        return True

    # --- live events --------------------------------------------------------------------------

    async def live_resync(self, message: dict[str, Any]) -> None:
        """Live events may have been lost while the layer was away: read the database from
        the last seq sent (everything published was stored first)."""
        if self.last_seq is not None:
            self.start_catch_up(self.last_seq)

    async def task_event(self, message: dict[str, Any]) -> None:
        """A group message of one event (``type: task.event``)."""
        if self.last_seq is None:
            return  # not subscribed: the catch-up will read it from the database
        if self.catching_up:
            self.hold([message])
            return
        await self.take(message)

    async def task_events(self, message: dict[str, Any]) -> None:
        """A batch (``type: task.events``): in HTML, one frame for all of it when it follows
        on from what this socket sent; otherwise event by event."""
        if self.last_seq is None:
            return
        events = batch_events(message)
        if self.catching_up:
            self.hold(events)
            return
        frame = message.get(p.FRAME_HTML)
        if self.fmt == p.FORMAT_HTML and frame is not None and self.follows_on(events):
            seqs = [event["seq"] for event in events if event["seq"] is not None]
            if seqs:
                self.last_seq = seqs[-1]
            await self.send(text_data=frame)
            return
        for index, event in enumerate(events):
            if not await self.take(event):
                self.hold(events[index + 1 :])
                return

    def follows_on(self, events: list[dict[str, Any]]) -> bool:
        seqs = [event["seq"] for event in events if event["seq"] is not None]
        assert self.last_seq is not None
        return not seqs or seqs == list(range(self.last_seq + 1, self.last_seq + 1 + len(seqs)))

    def hold(self, events: list[dict[str, Any]]) -> None:
        """Buffers live events during a catch-up (deltas are dropped: the text they stream
        arrives complete in a stored event)."""
        self.buffer.extend(event for event in events if event["seq"] is not None)
        if len(self.buffer) > MAX_BUFFER:
            self.buffer, self.overflowed = [], True

    async def take(self, message: dict[str, Any]) -> bool:
        """Sends one live event if it is the next one; False when it revealed a gap and a
        catch-up started instead."""
        assert self.last_seq is not None
        seq = message["seq"]
        if seq is None:
            await self.forward(message)
            return True
        if seq <= self.last_seq:
            return True  # already sent (from the database, or a duplicate)
        if seq != self.last_seq + 1 or not self.has_frame(message):
            self.start_catch_up(self.last_seq)
            self.buffer.append(message)
            return False
        self.last_seq = seq
        await self.forward(message)
        return True
