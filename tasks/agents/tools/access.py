"""Which registered tools a run of a task may use, decided once when the run starts, from the
registry's rules (tools_app.registry): a tool staff switched off in the admin, one needing a
permission the task's starter lacks, one needing a ticket (or a ticket category listed in a
setting) the task does not have, is not offered to the model, and the instructions do not
mention it."""

from __future__ import annotations

from django.conf import settings

import tasks.agents.tools  # noqa: F401  (registers the support tools)
from tasks.models import Task
from tools_app.registry import registered_tools
from tools_app.selectors import tools_switched_off


def task_disabled_tools(*, task: Task) -> tuple[str, ...]:
    """The support tools a run of ``task`` may not use (one query for the admin's switches;
    the starter's permissions are cached on the user)."""
    user = task.created_by
    ticket = task.ticket
    off = tools_switched_off()

    def may(permission: str) -> bool:
        return bool(user is not None and user.is_active and user.has_perm(permission))

    disabled = []
    for entry in registered_tools():
        categories = (
            getattr(settings, entry.categories_setting, ()) if entry.categories_setting else None
        )
        if (
            (entry.name in off and not entry.required)
            or (entry.permission and not may(entry.permission))
            or (entry.needs_ticket and ticket is None)
            or (categories is not None and (ticket is None or ticket.category not in categories))
        ):
            disabled.append(entry.name)
    return tuple(disabled)
