"""SQLite with the process's writers queued on a lock instead of SQLite's busy handler.

SQLite has one writer at a time. A second writer's ``BEGIN IMMEDIATE`` finds the database
locked and SQLite's busy handler sleeps and retries, in steps growing to 100 ms: while the
worker commits a turn's events every few milliseconds, a staff member's write (a copilot
message, a reply) can miss the free moments again and again and wait hundreds of
milliseconds. Writers of one process take a lock first and go in the moment the previous
transaction ends. Other processes (``manage.py`` commands) still meet SQLite's own handler;
after the configured ``timeout`` a writer goes ahead without the lock and SQLite decides, so
nothing waits forever here that would not have failed anyway."""

from __future__ import annotations

from tasks.compat import QueuedWritersSQLite as DatabaseWrapper
from tasks.compat import _write_lock

__all__ = ["DatabaseWrapper", "_write_lock"]
