"""Websocket routes and the channel routes of the agent worker."""

from __future__ import annotations

from typing import Any

from channels.routing import ChannelNameRouter

websocket_urlpatterns: list[Any] = []


def channel_routes() -> ChannelNameRouter:
    # The agent worker consumer is registered here by the runtime (issue 3).
    return ChannelNameRouter({})
