"""Live publishing of copilot conversations: a conversation listener registered at app start.

A changed message is announced, not sent: each socket of the conversation then reads what
changed after the last number it saw (the same read as its catch-up), so a socket never gets
a gap or a duplicate. Pieces of an answer being streamed go as they come, never stored. A
user's count of unseen task updates changed: that user's pages (``ws/me/``) read it again."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tasks.live.groups import conversation_group, user_group

logger = logging.getLogger(__name__)

CHANGED = "copilot.changed"
DELTA = "copilot.delta"
CARDS = "copilot.cards"
UNSEEN = "copilot.unseen"


async def _send(conversation_id: int, message: dict[str, Any]) -> None:
    await _send_to(conversation_group(conversation_id), message)


async def _send_to(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, message)
    except Exception:
        logger.warning("Could not publish to %s", group, exc_info=True)


class CopilotPublisher:
    def messages_changed(self, *, conversation_id: int, message_ids: list[int]) -> None:
        async_to_sync(_send)(conversation_id, {"type": CHANGED, "message_ids": message_ids})

    async def delta(self, *, conversation_id: int, message_id: int, delta: str) -> None:
        await _send(conversation_id, {"type": DELTA, "message_id": message_id, "delta": delta})

    async def cards_added(self, *, conversation_id: int, task_ids: list[int]) -> None:
        await _send(conversation_id, {"type": CARDS, "task_ids": task_ids})

    def unseen_changed(self, *, user_id: int) -> None:
        async_to_sync(_send_to)(user_group(user_id), {"type": UNSEEN})


copilot_publisher = CopilotPublisher()
