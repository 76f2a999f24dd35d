"""``ws/tickets/<number>/``: what the ticket page shows outside a task's own socket: a task
started on the ticket from anywhere (its agent panel) and the thread after the agent wrote."""

from __future__ import annotations

from typing import Any

from tasks.consumers.base import FrameError, Handler, LiveConsumer
from tasks.live import protocol as p
from tasks.live.catch_up import ticket_catch_up
from tasks.live.groups import ticket_group
from tasks.live.selectors import live_ticket_exists
from tasks.live.threads import in_live_thread


class TicketConsumer(LiveConsumer):
    async def authorise(self) -> tuple[str, str] | None:
        self.number = int(self.scope["url_route"]["kwargs"]["number"])
        if not await in_live_thread(live_ticket_exists)(number=self.number):
            return p.TICKET_NOT_FOUND, p.TICKET_NOT_FOUND_MESSAGE
        return None

    def live_groups(self) -> list[str]:
        return [ticket_group(self.number)]

    def handlers(self) -> dict[str, Handler]:
        return {**super().handlers(), "subscribe": self.action_subscribe}

    async def action_subscribe(self, content: dict[str, Any]) -> None:
        """``latest_task``: the task the page shows (null for none); ``resync``: the page was
        disconnected, so send the thread too."""
        latest = content.get("latest_task")
        if latest is not None and (
            isinstance(latest, bool) or not isinstance(latest, int) or latest < 1
        ):
            raise FrameError(p.BAD_REQUEST, p.LATEST_TASK_INVALID)
        fmt = self.requested_format(content)
        if not await self.still_allowed():
            return
        self.fmt = fmt
        html = ""
        if fmt == p.FORMAT_HTML:
            html = await in_live_thread(ticket_catch_up)(
                number=self.number, latest_task=latest, resync=bool(content.get("resync"))
            )
        await self.send(text_data=p.dumps({"type": "subscribed", "html": html}))

    async def task_event(self, message: dict[str, Any]) -> None:
        if message["seq"] is not None and self.has_frame(message):
            await self.forward(message)
