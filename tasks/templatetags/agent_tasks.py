"""Template tags of the agent panel."""

from __future__ import annotations

from typing import Any

from django import template

from tasks.models import Task
from tasks.task_selectors import task_panel as build_task_panel

register = template.Library()


@register.inclusion_tag("tasks/partials/task_panel.html", takes_context=True)
def task_panel(context: template.Context, task: Task) -> dict[str, Any]:
    """The live panel of one task (status, to-dos, timeline, result, usage, actions)."""
    return {
        "panel": build_task_panel(task=task),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
