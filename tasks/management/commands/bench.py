"""``manage.py bench``: what the task runtime costs and how it scales.

1. Orchestration overhead per agent turn: the same zero-latency scripted model script run by
   bare ``Runner.run`` and by the full system (claim, streamed run, events stored and
   published, finish), one run at a time. A turn is timed between consecutive model calls.
2. Throughput: many concurrent tasks in one worker process with a fixed model delay per turn;
   wall time against the ideal (turns x delay) and against bare ``Runner.run`` under the same
   load (what the SDK alone costs on this machine).

By default it runs on a fresh temporary SQLite file (the embedded setup), so it never touches
real data; ``--use-configured-db`` runs on the configured database instead (and leaves its
benchmark tasks there).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from agents import set_tracing_disabled
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from tasks.runtime.benchmark import measure_overhead, measure_throughput, percentile

OVERHEAD_TARGET_MS = 10.0
THROUGHPUT_TARGET = 1.25


class Command(BaseCommand):
    help = "Measures orchestration overhead per agent turn and concurrent task throughput."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tasks", type=int, default=200, help="Concurrent tasks (part 2).")
        parser.add_argument("--turns", type=int, default=5, help="Model turns per task.")
        parser.add_argument("--delay", type=float, default=0.5, help="Model delay per turn (s).")
        parser.add_argument(
            "--overhead-runs", type=int, default=30, help="Runs, one at a time, for part 1."
        )
        parser.add_argument(
            "--use-configured-db",
            action="store_true",
            help="Run on the configured database instead of a temporary SQLite file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        set_tracing_disabled(True)
        run = self._run(
            tasks=max(1, options["tasks"]),
            turns=max(2, options["turns"]),
            delay=max(0.0, options["delay"]),
            runs=max(1, options["overhead_runs"]),
        )
        if options["use_configured_db"]:
            self.stdout.write(f"Database: the configured one ({connections['default'].vendor})")
            asyncio.run(run)
            return
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
            self._use_temp_sqlite(Path(tmp) / "bench.sqlite3")
            try:
                asyncio.run(run)
            finally:
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
        self.stdout.write(f"Database: a temporary SQLite file ({path.name}, WAL)")

    async def _run(self, *, tasks: int, turns: int, delay: float, runs: int) -> None:
        await self._overhead(turns=turns, runs=runs)
        await self._throughput(tasks=tasks, turns=turns, delay=delay)

    async def _overhead(self, *, turns: int, runs: int) -> None:
        out = self.stdout.write
        out(
            f"\n1) Orchestration overhead per agent turn: zero-latency scripted model, "
            f"{runs} runs x {turns} turns, one run at a time\n"
            f"   (each turn but the last calls a tool without I/O; the last one replies)"
        )
        result = await measure_overhead(turns=turns, runs=runs)
        bare = (percentile(result.bare, 50), percentile(result.bare, 99))
        full = (percentile(result.full, 50), percentile(result.full, 99))
        overhead = (full[0] - bare[0], full[1] - bare[1])
        out(f"   {'per turn':<28}{'p50 ms':>9}{'p99 ms':>9}")
        out(f"   {'bare Runner.run':<28}{bare[0]:>9.2f}{bare[1]:>9.2f}")
        out(f"   {'full system':<28}{full[0]:>9.2f}{full[1]:>9.2f}")
        verdict = "met" if overhead[0] <= OVERHEAD_TARGET_MS else "NOT met"
        out(
            f"   {'overhead (full - bare)':<28}{overhead[0]:>9.2f}{overhead[1]:>9.2f}"
            f"   target p50 <= {OVERHEAD_TARGET_MS:g} ms: {verdict}"
        )
        ratio = full[0] / bare[0] if bare[0] else float("inf")
        out(f"   {'ratio full / bare (p50)':<28}{ratio:>8.2f}x")
        out(
            f"   per task, outside turns (claim, start, finish): p50 "
            f"{percentile(result.fixed, 50):.1f} ms, p99 {percentile(result.fixed, 99):.1f} ms"
        )

    async def _throughput(self, *, tasks: int, turns: int, delay: float) -> None:
        out = self.stdout.write
        out(
            f"\n2) {tasks} concurrent tasks x {turns} turns in one worker process, "
            f"{delay * 1000:.0f} ms model delay per turn"
        )
        result = await measure_throughput(tasks=tasks, turns=turns, delay=delay)
        ideal = turns * delay
        out(f"   ideal (turns x delay)        {ideal:>7.2f} s")
        out(f"   full system, wall time       {result.wall:>7.2f} s", ending="")
        if ideal:
            ratio = result.wall / ideal
            verdict = "met" if ratio <= THROUGHPUT_TARGET else "NOT met"
            out(f"   {ratio:.2f}x ideal (target <= {THROUGHPUT_TARGET:g}x: {verdict})")
            out(
                f"   bare Runner.run, same load   {result.bare_wall:>7.2f} s"
                f"   {result.bare_wall / ideal:.2f}x ideal (the SDK alone, no database events)"
            )
        else:
            out("")
            out(f"   bare Runner.run, same load   {result.bare_wall:>7.2f} s")
        out(
            f"   tasks completed {result.completed}/{result.tasks}, events stored {result.events:,}"
        )
