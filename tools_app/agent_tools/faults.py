"""Fault injection for the crash tests: a process kills itself with SIGKILL at a named point.

Off unless ``AGENTDESK_FAULT`` is set in the process's environment (read once, at import; the
integration tests set it on one worker process only). Its value is a point, optionally with
the occurrence to die at: ``tool.after:issue_refund`` (the first time),
``tool.after:set_todo_status#2`` (the second time). A point also matches its more specific
names: ``tool.before`` matches ``tool.before:lookup_customer``.

Points (``fault_point(name)`` calls):
* ``tool.before:<tool>`` -- a tool call is about to run its body;
* ``tool.after:<tool>`` -- its body returned (its side effect is committed) but the SDK has not
  seen the result yet, so no event or history holds it.

SIGKILL, not an exception: nothing runs after it (no ``finally``, no lease release), exactly as
when the machine or the OOM killer stops a worker."""

from __future__ import annotations

import logging
import os
import signal
import sys

FAULT_ENV = "AGENTDESK_FAULT"

logger = logging.getLogger(__name__)


def _parse(raw: str) -> tuple[str, int] | None:
    raw = raw.strip()
    if not raw:
        return None
    point, _, nth = raw.partition("#")
    return point.strip(), max(1, int(nth)) if nth.strip() else 1


_armed = _parse(os.environ.get(FAULT_ENV, ""))
_hits = 0


def matches(point: str, name: str) -> bool:
    """Whether the configured ``point`` names the point ``name`` (or a prefix of it)."""
    return name == point or name.startswith(point + ":")


def fault_point(name: str) -> None:
    """Kills this process here if ``AGENTDESK_FAULT`` names this point (and occurrence)."""
    global _hits
    if _armed is None or not matches(_armed[0], name):
        return
    _hits += 1
    if _hits < _armed[1]:
        return
    logger.warning("Fault injection: killing process %s at %s", os.getpid(), name)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
