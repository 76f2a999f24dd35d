"""OfflineChatModel: the offline copilot behind the SDK's Model interface."""

from __future__ import annotations

from tasks.agents.providers.offline.model import OfflineSupportModel
from tasks.agents.providers.offline.turn import Decide
from tasks.agents.providers.offline_chat.engine import decide as decide_chat

DEFAULT_CHAT_NAME = "agentdesk-offline-chat"


class OfflineChatModel(OfflineSupportModel):
    """Streams like the offline support model; decides with the copilot's rules."""

    decide: Decide = staticmethod(decide_chat)

    def __init__(self, *, delay: float = 0.0, name: str = DEFAULT_CHAT_NAME) -> None:
        super().__init__(delay=delay, name=name)
