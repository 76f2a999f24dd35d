"""Template tags of the approval requests shown on the portal's task panel."""

from __future__ import annotations

from typing import Any

from django import template

from tasks.approval_selectors import task_approvals_context
from tasks.models import Task

register = template.Library()


@register.inclusion_tag("tasks/partials/task_approvals.html", takes_context=True)
def task_approvals(context: template.Context, task: Task) -> dict[str, Any]:
    """A task's approval requests: pending ones with their summary (and, for approvers, a link
    to decide in the admin), then the decisions with who made them and the note."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return task_approvals_context(task=task, user=user)
