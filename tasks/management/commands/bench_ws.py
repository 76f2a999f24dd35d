"""``manage.py bench_ws``: websocket fan-out under load, with the in-memory layer and Redis.

For each channel layer and each client count N it starts the real app (daphne; with Redis, a
Redis on a free loopback port and an agent worker process) on a copy of a seeded throwaway
SQLite database, opens N websocket clients in this process (20% on the dashboard, the rest
following the tasks, half asking for JSON and half for the portal's HTML), and once every
client is connected and caught up, runs the tasks (Retry through the JSON API) with the
offline model. It prints, per N: events delivered / expected, out-of-order and duplicate
counts, delivery latency p50 and p99 from an event's creation to its arrival at a client, how
long connecting and catching up took, the CPU time of the server processes and of the clients
(all in this one process), and the machine's load average (other work skews latency).

Usage::

    manage.py bench_ws                              # N = 100, 500, 1000; memory and redis
    manage.py bench_ws --clients 500 --layers redis --tasks 20 --delay 1.0

It never touches the configured database. Targets: everything delivered in order; p99 under
200 ms at 500 clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks.benchmarks.ws_clients import RoundResult, percentile, run_round
from tasks.benchmarks.ws_servers import app_servers, build_template, copy_template, redis_server

LAYERS = ("memory", "redis")
P99_TARGET_MS = 200.0


def _ints(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    help = (
        "Measures websocket delivery (completeness, order, latency, server CPU) for N clients "
        "while tasks run, with the in-memory channel layer and with Redis."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients", type=_ints, default=[100, 500, 1000], help="Client counts, e.g. 100,500"
        )
        parser.add_argument("--layers", default="memory,redis", help="memory, redis or both.")
        parser.add_argument("--tasks", type=int, default=20, help="Tasks running at once.")
        parser.add_argument(
            "--delay",
            type=float,
            default=1.0,
            help="Seconds the offline model takes per turn (real models take several).",
        )
        parser.add_argument(
            "--dashboard-share", type=float, default=0.2, help="Share of clients on the dashboard."
        )
        parser.add_argument(
            "--timeout", type=float, default=180.0, help="Seconds a round may take at most."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        layers = [layer.strip() for layer in options["layers"].split(",") if layer.strip()]
        if not set(layers) <= set(LAYERS):
            raise CommandError(f"--layers takes {', '.join(LAYERS)}")
        if "redis" in layers and shutil.which("redis-server") is None:
            raise CommandError("redis-server is not installed (needed for --layers redis)")
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-ws-") as tmp:
            workdir = Path(tmp)
            self.stdout.write("Seeding a throwaway database…")
            template = build_template(workdir, tasks=options["tasks"])
            self.stdout.write(self._header())
            for layer in layers:
                for clients in options["clients"]:
                    result = self._round(workdir, template, layer, clients, options)
                    self.stdout.write(self._row(result))
        self.stdout.write(
            f"Targets: delivered = expected, 0 out of order, p99 < {P99_TARGET_MS:.0f} ms at "
            f"500 clients. Tasks: {options['tasks']}, {options['delay']} s per model turn."
        )

    def _round(
        self, workdir: Path, template: Any, layer: str, clients: int, options: dict[str, Any]
    ) -> RoundResult:
        database = copy_template(template, workdir, f"{layer}-{clients}")
        with contextlib.ExitStack() as stack:
            redis = stack.enter_context(redis_server(workdir)) if layer == "redis" else None
            servers = stack.enter_context(
                app_servers(workdir, database=database, delay=options["delay"], redis=redis)
            )
            return asyncio.run(
                run_round(
                    layer=layer,
                    servers=servers,
                    key=template.api_key,
                    task_ids=template.task_ids,
                    clients=clients,
                    dashboard_share=options["dashboard_share"],
                    time_limit=options["timeout"],
                )
            )

    @staticmethod
    def _header() -> str:
        return (
            f"{'layer':<7} {'clients':>7} {'delivered / expected':>24} {'out of order':>12} "
            f"{'dup':>4} {'p50 ms':>7} {'p99 ms':>7} {'timed':>7} {'connect':>7} {'load':>5}  "
            "CPU s (% of a core): server processes, then this process's clients"
        )

    @staticmethod
    def _row(r: RoundResult) -> str:
        share = f"{r.delivered}/{r.expected}"
        cpu = ", ".join(
            f"{name} {seconds:.1f} ({100 * seconds / r.seconds:.0f}%)"
            for name, seconds in r.cpu.items()
        )
        notes = []
        if not r.finished:
            notes.append("TIMED OUT")
        if r.resyncs:
            notes.append(f"{r.resyncs} resyncs")
        if r.errors:
            notes.append(f"{r.errors} error frames")
        return (
            f"{r.layer:<7} {r.clients:>7} {share:>24} {r.out_of_order:>12} {r.duplicates:>4} "
            f"{1000 * percentile(r.latencies, 0.5):>7.1f} "
            f"{1000 * percentile(r.latencies, 0.99):>7.1f} {len(r.latencies):>7} "
            f"{r.connect_seconds:>6.1f}s {r.load:>5.1f}  "
            f"{cpu}" + (f"  [{'; '.join(notes)}]" if notes else "")
        )
