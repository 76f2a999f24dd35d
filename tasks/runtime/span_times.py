"""When an SDK span started and ended, as datetimes: read by the stored traces
(``tasks.runtime.tracing``) and by the Prometheus metrics (``tasks.runtime.metrics``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agents.tracing import Span


def parse_time(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        return text
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def span_times(span: Span[Any], data: dict[str, Any]) -> tuple[datetime, datetime]:
    """A span's start and end; an approval wait carries its own (it happened before the run)."""
    now = datetime.now(UTC)
    started = parse_time(data.get("started_at")) or parse_time(span.started_at) or now
    ended = parse_time(data.get("ended_at")) or parse_time(span.ended_at) or now
    return started, max(started, ended)
