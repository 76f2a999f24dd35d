"""Channel-layer group names of the live sockets (only ``[a-zA-Z0-9-_.]``, under 100 chars)."""

from __future__ import annotations

DASHBOARD_GROUP = "dashboard"


def task_group(task_id: int) -> str:
    """The group of one task."""
    return f"task-{int(task_id)}"


def ticket_group(number: int) -> str:
    """The group of one ticket's page: tasks started on it, and changes to its thread."""
    return f"ticket-{int(number)}"
