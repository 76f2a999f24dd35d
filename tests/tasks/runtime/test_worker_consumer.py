"""The worker's channel consumer hands each wake-up to the worker and keeps the database
connection: channels' default closed it before every message (with CONN_MAX_AGE=0, a new
PostgreSQL connection per task)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from tasks.runtime import consumer as worker_consumer


class RecordingWorker:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def start_sweeper(self) -> None:
        pass

    def dispatch(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


@pytest.mark.asyncio
async def test_wake_ups_reach_the_worker_without_closing_the_database_connection(monkeypatch):
    worker = RecordingWorker()
    monkeypatch.setattr(worker_consumer, "get_worker", lambda: worker)
    checks: list[str] = []
    monkeypatch.setattr(
        type(connections["default"]),
        "close_if_unusable_or_obsolete",
        lambda self: checks.append("closed"),
    )
    consumer = worker_consumer.TaskWorkerConsumer()
    # the worker's database thread has its connection (as after its first query)
    await sync_to_async(lambda: connections["default"])()

    for task_id in (1, 2, 3):
        await consumer.dispatch({"type": "task.run", "task_id": task_id})

    assert [m["task_id"] for m in worker.messages] == [1, 2, 3]
    assert checks == []
