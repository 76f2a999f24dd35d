"""Template filters of the staff portal."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def age(value: datetime | None) -> str:
    """How long ago, in its largest unit only ("3 hours ago", "2 days ago"): backlog rows
    compare at a glance, and the exact time is in the element's title."""
    if value is None:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value, depth=1)} ago"
