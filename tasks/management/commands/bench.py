"""``manage.py bench``: what the task runtime costs and how it scales.

1. Orchestration overhead per agent turn: the same scripted, zero-latency model script run by
   bare ``Runner.run`` and by the full system (claim, streamed run, events stored and
   published, finish). A turn is timed between consecutive model calls.
2. Throughput: many concurrent tasks in one worker process with a fixed model delay per turn;
   wall time against the ideal (turns x delay, as if orchestration were free).

By default it runs on a fresh temporary SQLite file (the embedded setup), so it never touches
real data; ``--use-configured-db`` runs on the configured database instead.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents import Runner, set_tracing_disabled
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from tasks.agents.context import SupportContext
from tasks.agents.support import build_agent
from tasks.events import TaskEventType, events_store
from tasks.models import Task, TaskEvent
from tasks.runtime.worker import TaskWorker

MODEL_NAME = "bench-scripted"
OVERHEAD_TARGET_MS = 10.0
THROUGHPUT_TARGET = 1.25


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class Script:
    """A scripted model run: ``turns - 1`` tool turns then a final message, recording when
    each model call starts."""

    def __init__(self, turns: int, delay: float = 0.0) -> None:
        self.turns, self.delay = turns, delay
        self.calls: list[float] = []

    def model(self) -> ScriptedModel:
        return ScriptedModel([ModelStep.respond(self._step(i)) for i in range(self.turns)])

    def _step(self, index: int) -> Callable[[Any], Any]:
        async def respond(_call: Any) -> ModelStep:
            self.calls.append(time.perf_counter())
            if self.delay:
                await asyncio.sleep(self.delay)
            if index == self.turns - 1:
                return ModelStep(output=[assistant_message("Benchmark run finished.")])
            call = function_call("search_policies", {"query": "refund"}, call_id=f"b{index}")
            return ModelStep(output=[call])

        return respond

    def turn_durations_ms(self) -> list[float]:
        return [(b - a) * 1000 for a, b in zip(self.calls, self.calls[1:], strict=False)]


def _create_tasks(count: int) -> list[int]:
    tasks = Task.objects.bulk_create(
        Task(title=f"Benchmark {i}", input="Benchmark request", model=MODEL_NAME)
        for i in range(count)
    )
    for task in tasks:
        events_store(task_id=task.pk, events=[(TaskEventType.TASK_CREATED, {"status": "queued"})])
    return [task.pk for task in tasks]


def _count(ids: list[int]) -> tuple[int, int]:
    done = Task.objects.filter(pk__in=ids, status=Task.Status.COMPLETED).count()
    return done, TaskEvent.objects.filter(task_id__in=ids).count()


class Command(BaseCommand):
    help = "Measures orchestration overhead per agent turn and concurrent task throughput."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tasks", type=int, default=200, help="Concurrent tasks (part 2).")
        parser.add_argument("--turns", type=int, default=5, help="Model turns per task.")
        parser.add_argument("--delay", type=float, default=0.5, help="Model delay per turn (s).")
        parser.add_argument(
            "--overhead-runs", type=int, default=30, help="Sequential runs for part 1."
        )
        parser.add_argument(
            "--use-configured-db",
            action="store_true",
            help="Run on the configured database instead of a temporary SQLite file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        set_tracing_disabled(True)
        turns = max(2, options["turns"])
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
            if not options["use_configured_db"]:
                self._use_temp_sqlite(Path(tmp) / "bench.sqlite3")
            asyncio.run(
                self._run(
                    tasks=max(1, options["tasks"]),
                    turns=turns,
                    delay=max(0.0, options["delay"]),
                    runs=max(1, options["overhead_runs"]),
                )
            )
            connections.close_all()

    def _use_temp_sqlite(self, path: Path) -> None:
        connection = connections["default"]
        connection.close()
        connection.settings_dict.update(
            ENGINE="django.db.backends.sqlite3",
            NAME=str(path),
            OPTIONS={
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        )
        call_command("migrate", verbosity=0, interactive=False)
        self.stdout.write(f"Database: temporary SQLite file ({path.name}, WAL)")

    async def _run(self, *, tasks: int, turns: int, delay: float, runs: int) -> None:
        await self._overhead(turns=turns, runs=runs)
        await self._throughput(tasks=tasks, turns=turns, delay=delay)

    # --- 1. overhead per turn -----------------------------------------------------------------

    async def _overhead(self, *, turns: int, runs: int) -> None:
        self.stdout.write(
            f"\n1) Orchestration overhead per agent turn: zero-latency scripted model, "
            f"{runs} runs x {turns} turns (a search_policies call per turn, then a reply)"
        )
        (probe_id,) = await sync_to_async(_create_tasks)(1)
        context = SupportContext(task_id=probe_id, ticket_id=None, customer_id=None, user_id=None)
        bare: list[float] = []
        full: list[float] = []
        fixed: list[float] = []
        for _ in range(runs):
            script = Script(turns)
            await Runner.run(
                build_agent(script.model()), "Benchmark request", context=context, max_turns=turns
            )
            bare += script.turn_durations_ms()
        for _ in range(runs):
            script = Script(turns)
            (task_id,) = await sync_to_async(_create_tasks)(1)
            model = script.model()
            worker = TaskWorker(model_factory=lambda m=model: (m, MODEL_NAME), concurrency=1)
            started = time.perf_counter()
            worker.wake(task_id)
            await worker.join()
            ended = time.perf_counter()
            full += script.turn_durations_ms()
            fixed.append((ended - started) * 1000 - sum(script.turn_durations_ms()))
        rows = [
            ("bare Runner.run", percentile(bare, 50), percentile(bare, 99)),
            ("full system", percentile(full, 50), percentile(full, 99)),
        ]
        overhead_p50 = rows[1][1] - rows[0][1]
        overhead_p99 = rows[1][2] - rows[0][2]
        self.stdout.write(f"   {'per turn':<26}{'p50 ms':>9}{'p99 ms':>9}")
        for name, p50, p99 in rows:
            self.stdout.write(f"   {name:<26}{p50:>9.2f}{p99:>9.2f}")
        verdict = "OK" if overhead_p50 <= OVERHEAD_TARGET_MS else "ABOVE TARGET"
        self.stdout.write(
            f"   {'overhead (full - bare)':<26}{overhead_p50:>9.2f}{overhead_p99:>9.2f}"
            f"   target p50 <= {OVERHEAD_TARGET_MS:g} ms: {verdict}"
        )
        ratio = rows[1][1] / rows[0][1] if rows[0][1] else float("inf")
        self.stdout.write(f"   {'ratio (full / bare, p50)':<26}{ratio:>8.2f}x")
        self.stdout.write(
            f"   per task fixed cost (claim, start, finish): p50 {percentile(fixed, 50):.1f} ms, "
            f"p99 {percentile(fixed, 99):.1f} ms"
        )

    # --- 2. throughput ------------------------------------------------------------------------

    async def _throughput(self, *, tasks: int, turns: int, delay: float) -> None:
        self.stdout.write(
            f"\n2) {tasks} concurrent tasks x {turns} turns in one worker process, "
            f"{delay * 1000:.0f} ms model delay per turn"
        )
        ids = await sync_to_async(_create_tasks)(tasks)

        def factory() -> tuple[ScriptedModel, str]:
            return Script(turns, delay).model(), MODEL_NAME

        worker = TaskWorker(model_factory=factory, concurrency=tasks)
        started = time.perf_counter()
        for task_id in ids:
            worker.wake(task_id)
        await worker.join()
        wall = time.perf_counter() - started
        done, events = await sync_to_async(_count)(ids)
        ideal = turns * delay
        self.stdout.write(f"   wall time {wall:.2f} s, ideal {ideal:.2f} s (turns x delay)")
        if ideal:
            ratio = wall / ideal
            verdict = "OK" if ratio <= THROUGHPUT_TARGET else "ABOVE TARGET"
            self.stdout.write(
                f"   {ratio:.3f}x of ideal   target <= {THROUGHPUT_TARGET:g}x: {verdict}"
            )
        self.stdout.write(f"   tasks completed {done}/{tasks}, events stored {events:,}")
