"""Websocket consumers: thin (authorise through a selector, join groups, accept, dispatch
``action`` frames, forward group messages). The protocol is in ``tasks.live.protocol``."""

from tasks.consumers.dashboard import DashboardConsumer
from tasks.consumers.task_events import TaskEventsConsumer
from tasks.consumers.tickets import TicketConsumer

__all__ = ["DashboardConsumer", "TaskEventsConsumer", "TicketConsumer"]
