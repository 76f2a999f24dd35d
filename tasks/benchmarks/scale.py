"""What ``manage.py bench_scale`` and the integration suite's claim test share: worker processes
that run the zero-latency scripted model (``tasks.benchmarks.runtime.BenchModel``), queuing many
tasks at once, waking workers through the channel layer and reading the outcome.

A scripted worker is the real ``runworker`` (``AgentWorker``: sweeps, the channel consumer, the
group writer, claims, leases) with only the model replaced, so what is measured is the
runtime's own cost on PostgreSQL and Redis."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agents import Model, ModelSettings
from asgiref.sync import async_to_sync
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Max, Q

from tasks.benchmarks.runtime import MODEL_NAME, BenchModel, bench_agent
from tasks.events import TaskEventType
from tasks.models import Task, TaskEvent, TaskSpan
from tasks.runtime.worker import get_worker
from tasks.services.task_start import WAKE_MESSAGE_TYPE

SERVE_WORKER = "--serve-worker"


def _scripted(turns: int, delay: float) -> tuple[Model, str]:
    return BenchModel(turns, delay), MODEL_NAME  # a fresh model per run: it counts its turns


def serve_scripted_worker(*, turns: int, delay: float = 0.0) -> None:
    """Runs this process as ``runworker`` on the agent channel with the scripted model: each
    task makes ``turns - 1`` tool calls (no I/O), then answers."""
    # The process's own worker (as runworker builds it), with only its model replaced.
    worker = get_worker()
    worker.model_factory = functools.partial(_scripted, turns, delay)
    worker.model_settings_factory = ModelSettings
    worker.agent_factory = bench_agent
    call_command("runworker", settings.WORKER_CHANNEL)


@transaction.atomic
def queue_tasks(count: int, *, title: str = "Scale benchmark") -> list[int]:
    """``count`` queued free-text tasks, each with its ``task.created`` event (seq 1), in one
    transaction and without wake-ups (see ``wake``)."""
    tasks = Task.objects.bulk_create(
        Task(title=f"{title} {i}", input="Benchmark request", model=MODEL_NAME, last_seq=1)
        for i in range(count)
    )
    TaskEvent.objects.bulk_create(
        TaskEvent(task=task, seq=1, type=TaskEventType.TASK_CREATED, data={"status": "queued"})
        for task in tasks
    )
    return [task.pk for task in tasks]


def analyze_tasks() -> None:
    """Refreshes PostgreSQL's planner statistics of the tables a run touches: the benchmark's
    database is new, and its tables grow by thousands of rows a run before autovacuum looks."""
    with connection.cursor() as cursor:
        for model in (Task, TaskEvent, TaskSpan):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def wake(task_ids: Iterable[int], *, redis_url: str) -> None:
    """Sends each task's wake-up to the workers through Redis, as a web process does."""
    task_ids = list(task_ids)
    layer = RedisChannelLayer(
        hosts=[{"address": redis_url, "socket_timeout": 15}], capacity=len(task_ids) + 100
    )

    async def send_all() -> None:
        for task_id in task_ids:
            await layer.send(
                settings.WORKER_CHANNEL, {"type": WAKE_MESSAGE_TYPE, "task_id": task_id}
            )
        await layer.close_pools()

    async_to_sync(send_all)()


@dataclass(frozen=True)
class Outcome:
    tasks: int
    completed: int
    # Tasks claimed other than exactly once (task.started events != 1, or attempts != 1).
    claimed_not_once: int
    # Tasks whose stored seqs are not exactly 1..last_seq.
    seq_gaps: int
    workers_used: int


def outcome(task_ids: list[int]) -> Outcome:
    tasks = Task.objects.filter(pk__in=task_ids).annotate(
        starts=Count("events", filter=Q(events__type=TaskEventType.TASK_STARTED)),
        stored=Count("events"),
        top=Max("events__seq"),
    )
    completed = claimed_not_once = gaps = 0
    for task in tasks:
        completed += task.status == Task.Status.COMPLETED
        claimed_not_once += task.starts != 1 or task.attempts != 1
        # seq is unique per task: as many rows as the highest seq means none is missing.
        gaps += not (task.stored == task.top == task.last_seq)
    workers = (
        TaskEvent.objects.filter(task_id__in=task_ids, type=TaskEventType.TASK_STARTED)
        .values_list("data__worker", flat=True)
        .distinct()
    )
    return Outcome(len(task_ids), completed, claimed_not_once, gaps, len(set(workers)))


def completed_count(task_ids: list[int]) -> int:
    return Task.objects.filter(pk__in=task_ids, status=Task.Status.COMPLETED).count()


def status_counts(task_ids: list[int]) -> dict[str, Any]:
    """How many tasks have each status, and the errors of (up to 3) failed ones."""
    rows = Task.objects.filter(pk__in=task_ids).values_list("status").annotate(n=Count("id"))
    counts: dict[str, Any] = dict(rows)
    failed = Task.objects.filter(pk__in=task_ids, status=Task.Status.FAILED)
    errors = list(failed.values_list("error", flat=True)[:3])
    if errors:
        counts["errors"] = errors
    return counts
