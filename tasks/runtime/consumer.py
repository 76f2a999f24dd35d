"""The worker's Channels consumer on ``settings.WORKER_CHANNEL`` (``manage.py runworker``).

Thin: each ``task.run`` message schedules a claim on the process's worker and returns at
once, so one slow task never holds up the next message. Importing this module imports the
agent (through the worker), so ``runworker`` loads it at start, not on the first message."""

from __future__ import annotations

from typing import Any

from channels.consumer import AsyncConsumer

from tasks.runtime.worker import get_worker


class TaskWorkerConsumer(AsyncConsumer):
    async def task_run(self, message: dict[str, Any]) -> None:
        worker = get_worker()
        # The first message of a runworker process also starts its sweeps (lost wake-ups,
        # dead workers' tasks).
        worker.start_sweeper()
        worker.dispatch(message)
