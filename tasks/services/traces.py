"""Trace spans of task runs kept with the task (tasks.runtime.tracing records them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tasks.models import TaskSpan


def task_spans_store(*, task_id: int, spans: Sequence[dict[str, Any]]) -> int:
    """Stores spans that came after the run's last write (e.g. the run's own span)."""
    return TaskSpan.objects.store(task_id, spans)
