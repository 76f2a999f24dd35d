"""One SQLite writer at a time in a process, people first.

SQLite takes one writer at a time. The process's writers wait here for their turn (instead of
SQLite's busy handler, which sleeps and retries in steps growing to 100 ms), and a write a
person is waiting for (the threads of ``tasks.runtime.db_threads``: live pages, the copilot)
goes before the agent runs' background writes that are waiting at the same moment. A
background write never waits for people's writes for more than the timeout it was given."""

from __future__ import annotations

import threading
import time

_local = threading.local()


def mark_interactive() -> None:
    """Marks the calling thread's writes as ones a person waits for."""
    _local.interactive = True


def is_interactive() -> bool:
    return bool(getattr(_local, "interactive", False))


class WriteQueue:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._people = 0  # interactive writers waiting

    @property
    def busy(self) -> bool:
        return self._busy

    def acquire(self, *, timeout: float, interactive: bool | None = None) -> bool:
        """Waits for the turn to write (at most ``timeout`` seconds); True if taken."""
        person = is_interactive() if interactive is None else interactive
        deadline = time.monotonic() + timeout
        with self._cond:
            if person:
                self._people += 1
            try:
                while self._busy or (not person and self._people):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
                self._busy = True
                return True
            finally:
                if person:
                    self._people -= 1
                    if not self._people:
                        self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()


write_queue = WriteQueue()
