"""``ws/me/``: what every portal page shows about its user, live: the count of copilot task
updates not seen yet (the badge on the Copilot link), sent on connect and whenever it changes.

Server -> client: ``{"type": "unseen", "count": 2}`` (and the shared ``pong``/``error``)."""

from __future__ import annotations

from typing import Any

from tasks.consumers.base import LiveConsumer
from tasks.copilot_selectors import unseen_notices
from tasks.live import protocol as p
from tasks.live.groups import user_group
from tasks.live.threads import in_live_thread


class MeConsumer(LiveConsumer):
    def live_groups(self) -> list[str]:
        return [user_group(self.user_id)]

    async def connected(self) -> None:
        await self.send_unseen()

    async def send_unseen(self) -> None:
        count = await in_live_thread(unseen_notices)(user_id=self.user_id)
        await self.send(text_data=p.dumps({"type": "unseen", "count": count}))

    async def copilot_unseen(self, message: dict[str, Any]) -> None:
        await self.send_unseen()

    async def live_resync(self, message: dict[str, Any]) -> None:
        await self.send_unseen()
