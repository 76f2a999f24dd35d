"""Filters of the live task panel and dashboard."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import template

register = template.Library()


@register.filter
def pretty_json(value: Any) -> str:
    """A tool's output as indented JSON (text as it is)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


@register.filter
def duration(value: timedelta | None) -> str:
    """ "42s", "3m 05s", "2h 10m": as static/js/live.js ticks it on the dashboard."""
    if value is None:
        return ""
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@register.filter
def seconds_duration(value: float | None) -> str:
    """Seconds as the same short text as ``duration`` ("3 min", "2 h 5 min")."""
    if value is None:
        return ""
    return duration(timedelta(seconds=float(value)))
