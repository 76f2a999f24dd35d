"""Websocket routes and the channel routes of the agent worker."""

from __future__ import annotations

from typing import Any

from channels.routing import ChannelNameRouter
from django.conf import settings
from django.urls import path

from tasks.consumers import DashboardConsumer, TaskEventsConsumer, TicketConsumer
from tasks.consumers.auth import ApiTokenAuthMiddleware
from tasks.consumers.copilot import CopilotConsumer
from tasks.consumers.me import MeConsumer
from tasks.runtime.consumer import TaskWorkerConsumer

# Behind AllowedHostsOriginValidator(AuthMiddlewareStack(...)) in config/asgi.py; API clients
# may authenticate with their token instead of a session.
websocket_urlpatterns: list[Any] = [
    path("ws/tasks/<int:task_id>/", ApiTokenAuthMiddleware(TaskEventsConsumer.as_asgi())),
    path("ws/tickets/<int:number>/", ApiTokenAuthMiddleware(TicketConsumer.as_asgi())),
    path("ws/dashboard/", ApiTokenAuthMiddleware(DashboardConsumer.as_asgi())),
    path("ws/me/", ApiTokenAuthMiddleware(MeConsumer.as_asgi())),
    path(
        "ws/copilot/<int:conversation_id>/",
        ApiTokenAuthMiddleware(CopilotConsumer.as_asgi()),
    ),
]


def channel_routes() -> ChannelNameRouter:
    """``manage.py runworker <settings.WORKER_CHANNEL>`` runs the agent worker."""
    return ChannelNameRouter({settings.WORKER_CHANNEL: TaskWorkerConsumer.as_asgi()})
