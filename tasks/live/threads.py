"""Where live updates read the database: a small pool of their own
(``tasks.runtime.db_threads``), so renders and catch-ups neither wait behind the agent
worker's writes (which hold the process's shared database thread) nor hold them up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tasks.runtime.db_threads import DatabasePool

THREADS = 2

_pool = DatabasePool("live", THREADS)


def in_live_thread[**P, R](func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``func`` as a coroutine function run in the live-updates pool."""
    return _pool.run(func)
