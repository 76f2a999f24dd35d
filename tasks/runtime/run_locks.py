"""PostgreSQL: a worker holds a session-level advisory lock per task it runs, on a connection
of its own, so a worker that dies (SIGKILL, a lost machine) gives its tasks back at once.

PostgreSQL releases a session's advisory locks when its connection ends, which it notices as
soon as the dead process's socket closes. Every worker looks, every
``WORKER_LIVENESS_SECONDS``, for running tasks whose lock nobody holds (one query on
``pg_locks``) and puts them back in the queue; the lease stays as the fallback (a hung worker
whose connection lives on, SQLite, which has no such locks).

Order matters: the lock is taken before the claim and let go after the run's last write, so a
running task's lock is always held while its worker lives.

The lock connection is not Django's: the worker recycles that one at every sweep, which would
release the locks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

# The first key of every lock (the second is the task id): "AD".
LOCK_CLASS = 0x4144

ORPHANS_SQL = """
SELECT t.id, t.lease_owner FROM tasks_task t
WHERE t.status = 'running' AND NOT EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = t.id AND l.objsubid = 2
      AND l.granted
)
"""


def run_locks_supported() -> bool:
    return connection.vendor == "postgresql" and settings.WORKER_RUN_LOCKS


def running_tasks_without_lock() -> list[tuple[int, str]]:
    """``(task id, lease owner)`` of running tasks no live worker holds the lock of."""
    with connection.cursor() as cursor:
        cursor.execute(ORPHANS_SQL, [LOCK_CLASS])
        return [(int(task_id), str(owner)) for task_id, owner in cursor.fetchall()]


def _conninfo() -> str:
    from psycopg.conninfo import make_conninfo

    params = connection.settings_dict
    parts: dict[str, Any] = {
        "dbname": params.get("NAME") or "",
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "host": params.get("HOST") or None,
        "port": str(params.get("PORT") or "") or None,
        "application_name": "agentdesk-run-locks",
    }
    return make_conninfo(**{k: v for k, v in parts.items() if v is not None})


class RunLocks:
    """The worker process's advisory locks, one per running task."""

    def __init__(self) -> None:
        self._conn: Any = None
        self._mutex = asyncio.Lock()
        self.held: set[int] = set()

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            import psycopg

            self._conn = await psycopg.AsyncConnection.connect(_conninfo(), autocommit=True)
            # A new session holds none of the old one's locks.
            self.held.clear()
        return self._conn

    async def acquire(self, task_id: int) -> bool:
        """Takes the task's lock; False if another live session holds it (or on error)."""
        async with self._mutex:
            try:
                conn = await self._connection()
                cursor = await conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, task_id)
                )
                row = await cursor.fetchone()
            except Exception:
                logger.warning("Could not take the run lock of task %s", task_id, exc_info=True)
                await self._drop()
                return False
            if row and row[0]:
                self.held.add(task_id)
                return True
            return False

    async def release(self, task_id: int) -> None:
        async with self._mutex:
            if task_id not in self.held:
                return
            self.held.discard(task_id)
            try:
                conn = await self._connection()
                await conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, task_id))
            except Exception:
                logger.warning("Could not let go of task %s's run lock", task_id, exc_info=True)
                await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.held.clear()
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                logger.debug("Closing the run-lock connection failed", exc_info=True)

    async def close(self) -> None:
        async with self._mutex:
            await self._drop()
