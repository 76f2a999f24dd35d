"""What happens in a conversation, told to listeners (the live publisher registers at app
start, as for task events): a message stored or changed (after its transaction commits), a
piece of an answer being streamed (live only, never stored). The domain never renders or
sends anything itself."""

from __future__ import annotations

import logging
from typing import Protocol

from django.db import transaction

logger = logging.getLogger(__name__)


class ConversationListener(Protocol):
    def messages_changed(self, *, conversation_id: int, message_ids: list[int]) -> None:
        """From sync code, after the commit."""

    async def delta(self, *, conversation_id: int, message_id: int, delta: str) -> None:
        """A piece of an answer, from the event loop."""

    async def cards_added(self, *, conversation_id: int, task_ids: list[int]) -> None:
        """Tasks the conversation delegated (its sockets follow them from now on)."""

    def unseen_changed(self, *, user_id: int) -> None:
        """From sync code, after the commit: the user's count of unseen task updates."""


_listeners: list[ConversationListener] = []


def conversation_listener_add(listener: ConversationListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def conversation_listener_remove(listener: ConversationListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def messages_changed_on_commit(*, conversation_id: int, message_ids: list[int]) -> None:
    ids = list(dict.fromkeys(message_ids))

    def tell() -> None:
        for listener in list(_listeners):
            try:
                listener.messages_changed(conversation_id=conversation_id, message_ids=ids)
            except Exception:
                logger.warning("A conversation listener failed", exc_info=True)

    transaction.on_commit(tell)


def unseen_changed_on_commit(*, user_id: int) -> None:
    def tell() -> None:
        for listener in list(_listeners):
            try:
                listener.unseen_changed(user_id=user_id)
            except Exception:
                logger.warning("A conversation listener failed", exc_info=True)

    transaction.on_commit(tell)


async def answer_delta(*, conversation_id: int, message_id: int, delta: str) -> None:
    for listener in list(_listeners):
        try:
            await listener.delta(
                conversation_id=conversation_id, message_id=message_id, delta=delta
            )
        except Exception:
            logger.warning("A conversation listener failed", exc_info=True)


async def cards_added(*, conversation_id: int, task_ids: list[int]) -> None:
    for listener in list(_listeners):
        try:
            await listener.cards_added(conversation_id=conversation_id, task_ids=task_ids)
        except Exception:
            logger.warning("A conversation listener failed", exc_info=True)
