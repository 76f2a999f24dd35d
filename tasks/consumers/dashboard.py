"""``ws/dashboard/``: every task's stored events, live (the board itself is read over HTTP).

There is no replay here: on (re)connect the portal re-reads the dashboard partial after the
``subscribed`` frame, and API clients read a task's history from its socket or the REST API.
A gap in a task's seqs (a message the layer dropped) sends ``resync``: read the board again."""

from __future__ import annotations

from typing import Any

from tasks.consumers.base import Handler, LiveConsumer
from tasks.event_bus import DASHBOARD_GROUP
from tasks.live import protocol as p

# Tasks whose last seq a socket remembers; past this it forgets them all (a gap then goes
# unnoticed once, at worst).
MAX_TRACKED = 10_000


class DashboardConsumer(LiveConsumer):
    async def authorise(self) -> tuple[str, str] | None:
        # The last seq sent of each task, to drop duplicates and notice gaps.
        self.seen: dict[int, int] = {}
        return None

    def live_groups(self) -> list[str]:
        return [DASHBOARD_GROUP]

    def handlers(self) -> dict[str, Handler]:
        return {**super().handlers(), "subscribe": self.action_subscribe}

    async def action_subscribe(self, content: dict[str, Any]) -> None:
        fmt = self.requested_format(content)
        if not await self.still_allowed():
            return
        self.fmt = fmt
        await self.send(text_data=p.dumps({"type": "subscribed"}))

    async def task_event(self, message: dict[str, Any]) -> None:
        seq, task_id = message["seq"], message["task_id"]
        if seq is None:
            return
        last = self.seen.get(task_id)
        if last is not None and seq <= last:
            return
        if len(self.seen) >= MAX_TRACKED:
            self.seen.clear()
        self.seen[task_id] = seq
        if (last is not None and seq != last + 1) or (
            self.fmt == p.FORMAT_HTML and p.FRAME_HTML not in message
        ):
            await self.send(text_data=p.dumps({"type": "resync"}))
            return
        await self.forward(message)
