"""Where live updates read the database: a small pool of their own, so renders and catch-ups
neither wait behind the agent worker's writes (which hold the process's shared database
thread) nor hold them up. SQLite in WAL mode and PostgreSQL both read while another
connection writes. An in-memory SQLite database (the tests) has one connection's worth of
concurrency: there the shared thread is used.

The pool's threads keep their connections between calls (as the worker does); one that failed
is dropped if broken, as Django does after a request."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

THREADS = 2

_pool: ThreadPoolExecutor | None = None


def _shared_thread_only() -> bool:
    name = str(connection.settings_dict.get("NAME", ""))
    return connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name)


def _guarded[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except Exception:
            close_old_connections()
            raise

    return call


def in_live_thread[**P, R](func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``func`` as a coroutine function run in the live-updates pool."""
    global _pool
    if _shared_thread_only():
        return sync_to_async(func)
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="live")
    return sync_to_async(_guarded(func), thread_sensitive=False, executor=_pool)
