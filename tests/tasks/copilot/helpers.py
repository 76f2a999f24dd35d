"""Helpers for copilot tests: a conversation, a message, and the worker's copilot answering
with the offline chat model or a scripted one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents import Model
from agents.testing import ScriptedModel
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from tasks.agents.providers.offline_chat.model import OfflineChatModel
from tasks.copilot.runner import Copilot
from tasks.models import Conversation, ConversationMessage
from tasks.services.conversations import conversation_create, message_post

Msg = ConversationMessage


async def new_conversation(user: User) -> Conversation:
    return await sync_to_async(conversation_create)(user=user)


async def post(conversation: Conversation, text: str, **kw: Any) -> Msg:
    return await sync_to_async(message_post)(conversation=conversation, text=text, **kw)


def copilot_with(model: Model | Sequence[Any] | None = None) -> Copilot:
    """The worker's copilot on ``model`` (the offline chat model by default; a list of model
    steps becomes a ScriptedModel)."""
    if model is None:
        chosen: Model = OfflineChatModel()
    elif isinstance(model, Model):
        chosen = model
    else:
        chosen = ScriptedModel(list(model))
    return Copilot(model_factory=lambda: (chosen, "test-chat-model"))


async def answer(conversation: Conversation, model: Model | Sequence[Any] | None = None) -> Copilot:
    copilot = copilot_with(model)
    copilot.wake(conversation.pk)
    await copilot.join()
    return copilot


async def thread(conversation: Conversation) -> list[tuple[str, str, str]]:
    """(role, status, body) of every message, in the order they were written."""
    return [
        (m.role, m.status, m.body)
        async for m in Msg.objects.filter(conversation=conversation).order_by("created_at", "id")
    ]


async def answers(conversation: Conversation) -> list[str]:
    return [body for role, _, body in await thread(conversation) if role == Msg.Role.ASSISTANT]
