"""Websocket routes and the channel routes of the agent worker."""

from __future__ import annotations

from typing import Any

from channels.routing import ChannelNameRouter
from django.conf import settings

from tasks.runtime.consumer import TaskWorkerConsumer

websocket_urlpatterns: list[Any] = []


def channel_routes() -> ChannelNameRouter:
    """``manage.py runworker <settings.WORKER_CHANNEL>`` runs the agent worker."""
    return ChannelNameRouter({settings.WORKER_CHANNEL: TaskWorkerConsumer.as_asgi()})
