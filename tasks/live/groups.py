"""Channel-layer group names of the live sockets (only ``[a-zA-Z0-9-_.]``, under 100 chars)."""

from __future__ import annotations

DASHBOARD_GROUP = "dashboard"


def task_group(task_id: int) -> str:
    """The group of one task."""
    return f"task-{int(task_id)}"


def ticket_group(number: int) -> str:
    """The group of one ticket's page: tasks started on it, and changes to its thread."""
    return f"ticket-{int(number)}"


# Not a group sockets join: marked watched (``tasks.live.presence``) while any ticket page is,
# so a publisher learns in the same read whether ticket pages need anything at all.
TICKET_PAGES = "ticket-pages"


def is_ticket_group(group: str) -> bool:
    return group.startswith("ticket-") and group != TICKET_PAGES


def conversation_group(conversation_id: int) -> str:
    """The group of one copilot conversation's sockets."""
    return f"copilot-{int(conversation_id)}"


def user_group(user_id: int) -> str:
    """The group of one staff member's open pages (``ws/me/``: the Copilot link's badge)."""
    return f"user-{int(user_id)}"
