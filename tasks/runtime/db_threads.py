"""Database work in a small thread pool of its own, off the process's shared database thread.

``sync_to_async`` runs sync code (the ORM) in one shared thread by default. In a worker that
thread is busy with the agent runs' writes; work a person is waiting for (a live page's
catch-up, a copilot answer) would queue behind them. A ``DatabasePool`` has its own threads,
each keeping its own connection between calls (as the worker does); one that failed is
dropped if broken, as Django does after a request. SQLite in WAL mode and PostgreSQL both read
while another connection writes. An in-memory SQLite database (the tests) has one
connection's worth of concurrency: there the shared thread is used."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

from tasks.runtime.write_queue import mark_interactive


def shared_thread_only() -> bool:
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


class DatabasePool:
    def __init__(self, name: str, threads: int) -> None:
        self.name, self.threads = name, threads
        self._pool: ThreadPoolExecutor | None = None

    def run[**P, R](self, func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
        """``func`` as a coroutine function run in this pool."""
        if shared_thread_only():
            return sync_to_async(func)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.threads,
                thread_name_prefix=self.name,
                # A person waits for these threads' writes: they go before background ones.
                initializer=mark_interactive,
            )
        return sync_to_async(_guarded(func), thread_sensitive=False, executor=self._pool)
