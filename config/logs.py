"""Log lines as text or JSON (``LOG_FORMAT=json``), with what the code is working on.

``log_context`` holds fields (a task's id and its ticket number) that every line logged
inside it carries: the worker binds them around each run, so every runtime line names its
task, threads started with ``sync_to_async`` included (they copy the context)."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

log_context: ContextVar[dict[str, Any] | None] = ContextVar("agentdesk_log_context", default=None)


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Lines logged inside carry ``fields`` (on top of any bound outside)."""
    token = log_context.set({**(log_context.get() or {}), **fields})
    try:
        yield
    finally:
        log_context.reset(token)


def bind(**fields: Any) -> None:
    """For the rest of the current task (an asyncio task or thread), lines carry ``fields``."""
    log_context.set({**(log_context.get() or {}), **fields})


class ContextFilter(logging.Filter):
    """Adds the bound fields to each record: ``record.context`` (a dict) and, for the text
    format, ``record.context_text`` (`` [task=12 ticket=1004]`` or empty)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = log_context.get() or {}
        record.context = fields
        record.context_text = (
            " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]" if fields else ""
        )
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the bound
    fields, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "context", None)
        if fields is None:
            fields = log_context.get() or {}
        for key, value in fields.items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)
