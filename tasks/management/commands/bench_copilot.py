"""``manage.py bench_copilot``: time from a staff message to the first streamed token of the
copilot's answer, p50 and p99, with the worker idle and while it runs delegated tasks in the
same process (``tasks.benchmarks.copilot``). Target: at most 1.2x apart.

It runs on a fresh temporary SQLite file (never the configured database), with the worker's
event loop and process tuning."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from tasks.benchmarks.copilot import measure_first_tokens
from tasks.benchmarks.runtime import percentile
from tasks.runtime.event_loop import worker_loop_factory
from tasks.runtime.gc_tuning import tune_gc_for_workers
from tasks.runtime.sdk_speedups import apply_sdk_speedups

TARGET = 1.2


class Command(BaseCommand):
    help = "Measures the copilot's time to first token, idle and with delegated tasks running."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=int, default=50, help="Messages per phase and round.")
        parser.add_argument("--tasks", type=int, default=50, help="Tasks running while loaded.")
        parser.add_argument("--rounds", type=int, default=2, help="Idle/loaded rounds.")

    def handle(self, *args: Any, **options: Any) -> None:
        apply_sdk_speedups()
        tune_gc_for_workers()
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-copilot-") as tmp:
            connection = connections["default"]
            connection.close()
            connection.settings_dict.update(
                ENGINE="config.sqlite",  # as in the embedded setup
                NAME=str(Path(tmp) / "bench.sqlite3"),
                OPTIONS={
                    "timeout": 20,
                    "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            )
            call_command("migrate", verbosity=0, interactive=False)
            try:
                result = asyncio.run(
                    measure_first_tokens(
                        samples=max(1, options["samples"]),
                        load=max(1, options["tasks"]),
                        rounds=max(1, options["rounds"]),
                    ),
                    loop_factory=worker_loop_factory(),
                )
            finally:
                connections.close_all()
        out = self.stdout.write
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        out(
            f"Copilot time to first token: offline copilot (no delay), {options['tasks']} tasks "
            f"of the offline model (no delay) running in the same worker while loaded; "
            f"{os.cpu_count()} CPUs, load average {load}"
        )
        out(f"   {'':<30}{'p50 ms':>9}{'p99 ms':>9}")
        rows = {"idle": result.idle, f"{options['tasks']} tasks running": result.loaded}
        for label, values in rows.items():
            ms = [v * 1000 for v in values]
            out(f"   {label:<30}{percentile(ms, 50):>9.2f}{percentile(ms, 99):>9.2f}")
        p50 = percentile(result.loaded, 50) / percentile(result.idle, 50)
        p99 = percentile(result.loaded, 99) / percentile(result.idle, 99)
        verdict = "met" if max(p50, p99) <= TARGET else "NOT met"
        out(f"   loaded / idle: p50 {p50:.2f}x, p99 {p99:.2f}x; target <= {TARGET:g}x: {verdict}")
        out(
            f"   tasks run while loaded: {result.tasks_run}; background runs paused for a person"
            f" {result.pauses} times (tasks.runtime.priority)"
        )
