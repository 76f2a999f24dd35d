from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tasks.live.hub import RESYNC_MESSAGE, LocalHub, new_inbox


class FlakyLayer:
    """A channel layer whose first receive fails, as one does while Redis restarts."""

    def __init__(self) -> None:
        self.group_adds: list[tuple[str, str]] = []
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.failures = 1

    async def new_channel(self) -> str:
        return "specific.test!1"

    async def group_add(self, group: str, channel: str) -> None:
        self.group_adds.append((group, channel))

    async def group_discard(self, group: str, channel: str) -> None:
        pass

    async def receive(self, channel: str) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Redis is restarting")
        return await self.queue.get()


@pytest.mark.asyncio
async def test_after_a_failed_receive_the_hub_joins_again_and_tells_sockets_to_resync(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tasks.live.hub.RETRY_SECONDS", 0.01)
    layer = FlakyLayer()
    hub = LocalHub(layer)
    inbox = new_inbox()

    await hub.join("task-1", inbox)
    first = await asyncio.wait_for(inbox.get(), timeout=2)
    await layer.queue.put({"type": "task.event", "seq": 5})
    second = await asyncio.wait_for(inbox.get(), timeout=2)

    assert first == RESYNC_MESSAGE
    assert second == {"type": "task.event", "seq": 5}
    assert layer.group_adds == [("task-1", "specific.test!1")] * 2
    await hub.leave("task-1", inbox)
