"""The event loop of a worker process.

A worker runs hundreds of agent runs on one event loop, and the SDK schedules dozens of
callbacks and asyncio tasks per turn: the loop's own bookkeeping is a sixth of a busy worker's
CPU. uvloop (libuv, in C) does that work for about a tenth less CPU in all, measured with
``manage.py bench``. ``settings.WORKER_UVLOOP`` turns it off (the standard loop then runs)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import ModuleType

from django.conf import settings

logger = logging.getLogger(__name__)

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def _uvloop() -> ModuleType | None:
    """uvloop if enabled and importable (it is pinned, but a platform may lack it: the worker
    then runs on the standard loop and says so)."""
    if not settings.WORKER_UVLOOP:
        return None
    try:
        import uvloop
    except ImportError:
        logger.warning("AGENTDESK_WORKER_UVLOOP is on but uvloop is not installed: using asyncio")
        return None
    return uvloop


def worker_loop_factory() -> LoopFactory | None:
    """What ``asyncio.run(..., loop_factory=...)`` takes for a worker's loop (None: the
    standard loop)."""
    uvloop = _uvloop()
    return None if uvloop is None else uvloop.new_event_loop


def use_worker_event_loop() -> str:
    """For a worker process whose loop someone else creates (Channels' ``runworker``): makes
    the event loops this process creates from now on the worker's. Returns the loop's name."""
    uvloop = _uvloop()
    if uvloop is None:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"
