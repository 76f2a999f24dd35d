"""``ws/dashboard/``: every task's stored events, live (the board itself is read over HTTP).

There is no replay here: on (re)connect the portal re-reads the dashboard partial after the
``subscribed`` frame, and API clients read a task's history from its socket or the REST API.

Each task's events go out in seq order without duplicates. Two processes can publish events of
one task (the web process a Retry, the worker the run that follows), so one may overtake the
other by a few milliseconds: an event that comes early waits for the one before it, for up
to ``REORDER_SECONDS``. Past that the missing one is taken as lost: ``resync`` (read the board
again), then what was held."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from tasks.consumers.base import Handler, LiveConsumer
from tasks.dashboard_selectors import dashboard_task_seqs
from tasks.live import protocol as p
from tasks.live.groups import DASHBOARD_GROUP
from tasks.live.outgoing import batch_events
from tasks.live.threads import in_live_thread

REORDER_SECONDS = 0.5
# Tasks whose last seq a socket remembers; past this it starts afresh.
MAX_TRACKED = 10_000

Event = dict[str, Any]


class DashboardConsumer(LiveConsumer):
    async def authorise(self) -> tuple[str, str] | None:
        self.last: dict[int, int] = {}  # task id -> the last seq sent (or known at subscribe)
        self.held: dict[int, dict[int, Event]] = {}  # early events, by task and seq
        self.waits: dict[int, asyncio.Task[None]] = {}
        return None

    def live_groups(self) -> list[str]:
        return [DASHBOARD_GROUP]

    async def disconnect(self, code: int) -> None:
        for wait in list(getattr(self, "waits", {}).values()):
            wait.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await wait
        await super().disconnect(code)

    def handlers(self) -> dict[str, Handler]:
        return {**super().handlers(), "subscribe": self.action_subscribe}

    async def action_subscribe(self, content: dict[str, Any]) -> None:
        fmt = self.requested_format(content)
        if not await self.still_allowed():
            return
        self.fmt = fmt
        # Where each recent task stands: its next event is known, so one that overtook it
        # waits instead of passing for the first.
        self.last.update(await in_live_thread(dashboard_task_seqs)())
        await self.send(text_data=p.dumps({"type": "subscribed"}))

    async def task_event(self, message: Event) -> None:
        if message["seq"] is not None:
            await self.deliver([message], message.get(p.FRAME_HTML))

    async def task_events(self, message: Event) -> None:
        events = [event for event in batch_events(message) if event["seq"] is not None]
        await self.deliver(events, message.get(p.FRAME_HTML))

    async def deliver(self, events: list[Event], frame: str | None) -> None:
        """In order, the publisher's one HTML frame for all of them; otherwise one by one."""
        if frame is not None and self.fmt == p.FORMAT_HTML and self.all_follow_on(events):
            for event in events:
                self.last[event["task_id"]] = event["seq"]
            await self.send(text_data=frame)
            return
        for event in events:
            await self.take(event)

    def all_follow_on(self, events: list[Event]) -> bool:
        last = dict(self.last)
        for event in events:
            task_id, seq = event["task_id"], event["seq"]
            if task_id in self.held or (task_id in last and seq != last[task_id] + 1):
                return False
            last[task_id] = seq
        return True

    async def take(self, event: Event) -> None:
        task_id, seq = event["task_id"], event["seq"]
        last = self.last.get(task_id)
        if last is not None and seq <= last:
            return  # sent already
        if last is None or seq == last + 1:
            if len(self.last) >= MAX_TRACKED:
                self.last.clear()
            self.last[task_id] = seq
            await self.forward(event)
            await self.release(task_id)
            return
        self.held.setdefault(task_id, {})[seq] = event
        if task_id not in self.waits:
            self.waits[task_id] = asyncio.get_running_loop().create_task(self.give_up(task_id))

    async def release(self, task_id: int) -> None:
        """Sends the held events that now follow on."""
        held = self.held.get(task_id)
        while held and self.last[task_id] + 1 in held:
            event = held.pop(self.last[task_id] + 1)
            self.last[task_id] = event["seq"]
            await self.forward(event)
        if held is not None and not held:
            del self.held[task_id]
            wait = self.waits.pop(task_id, None)
            if wait is not None and wait is not asyncio.current_task():
                wait.cancel()

    async def give_up(self, task_id: int) -> None:
        await asyncio.sleep(REORDER_SECONDS)
        self.waits.pop(task_id, None)
        held = self.held.pop(task_id, {})
        if not held:
            return
        await self.send(text_data=p.dumps({"type": "resync"}))
        for seq in sorted(held):
            self.last[task_id] = seq
            await self.forward(held[seq])
