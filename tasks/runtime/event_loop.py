"""The event loop of a worker process.

A worker runs hundreds of agent runs on one event loop, and the SDK schedules dozens of
callbacks and asyncio tasks per turn: the loop's own bookkeeping is a sixth of a busy worker's
CPU. uvloop (libuv, in C) does that work for about a tenth less CPU in all, measured with
``manage.py bench``. ``settings.WORKER_UVLOOP`` turns it off (the standard loop then runs)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from django.conf import settings

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def worker_loop_factory() -> LoopFactory | None:
    """What ``asyncio.run(..., loop_factory=...)`` takes for a worker's loop (None: the
    standard loop)."""
    if not settings.WORKER_UVLOOP:
        return None
    import uvloop

    return uvloop.new_event_loop


def use_worker_event_loop() -> str:
    """For a worker process whose loop someone else creates (Channels' ``runworker``): makes
    the event loops this process creates from now on the worker's. Returns the loop's name."""
    if worker_loop_factory() is None:
        return "asyncio"
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"
