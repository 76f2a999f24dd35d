"""The worker's Channels consumer on ``settings.WORKER_CHANNEL`` (``manage.py runworker``).

Thin: each ``task.run`` message schedules a claim on the process's worker (each
``copilot.answer`` message, an answer) and returns at once, so one slow task never holds up
the next message. Importing this module imports the
agent (through the worker), so ``runworker`` loads it at start, not on the first message."""

from __future__ import annotations

from typing import Any

from channels.consumer import AsyncConsumer, get_handler_name

from tasks.runtime.worker import get_worker


class TaskWorkerConsumer(AsyncConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        """As channels' own, without its ``close_old_connections`` before every handler. With
        ``CONN_MAX_AGE=0`` that closed the worker's database connection at every wake-up, and
        the next write opened a new one (a PostgreSQL backend forked per task: a tenth of a
        worker's CPU in ``bench_scale``, and more of the server's). The worker recycles its
        connection itself, between queries, at every sweep."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def task_run(self, message: dict[str, Any]) -> None:
        worker = get_worker()
        # The first message of a runworker process also starts its sweeps (lost wake-ups,
        # dead workers' tasks, unanswered copilot messages).
        worker.start_sweeper()
        worker.dispatch(message)

    async def copilot_answer(self, message: dict[str, Any]) -> None:
        """A copilot conversation to answer (``tasks.copilot.runner``), next to the tasks."""
        await self.task_run(message)
