"""SQLite with the process's writers taking turns instead of meeting SQLite's busy handler.

SQLite has one writer at a time. A second writer's ``BEGIN IMMEDIATE`` finds the database
locked and SQLite's busy handler sleeps and retries, in steps growing to 100 ms: while the
worker commits a turn's events every few milliseconds, a staff member's write (a copilot
message, a reply) can miss the free moments again and again and wait hundreds of
milliseconds. Writers of one process take turns on a queue and go in the moment the previous
transaction ends, people's writes before the agent runs' (``tasks.runtime.write_queue``; the
class is in ``tasks.compat``, as it overrides private hooks of Django's backend). Other
processes (``manage.py`` commands) still meet SQLite's own handler; after the configured
``timeout`` a writer goes ahead without its turn and SQLite decides, so nothing waits forever
here that would not have failed anyway."""

from __future__ import annotations

from tasks.compat import QueuedWritersSQLite as DatabaseWrapper

__all__ = ["DatabaseWrapper"]
