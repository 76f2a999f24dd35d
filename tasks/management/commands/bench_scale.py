"""``manage.py bench_scale``: the scaled-out runtime's throughput and crash recovery, measured
on PostgreSQL and Redis (``make bench-scale`` starts both with ``.ci/services``).

1. Throughput: ``--tasks`` tasks queued at once and woken through Redis, run to completion by
   1, 2 and 4 ``runworker`` processes whose model is the zero-latency scripted one (``--turns``
   turns each: a tool call without I/O per turn, then an answer). Tasks per second, the CPU
   the workers and the PostgreSQL server spent per task, and a check that every task was
   claimed exactly once and has no gap in its events.
2. Recovery: a long run's worker is killed with SIGKILL; the time until another worker runs
   the task again is printed. PostgreSQL releases the dead worker's run lock with its
   connection (``tasks.runtime.run_locks``): the next liveness check of a live worker
   (``WORKER_LIVENESS_SECONDS``) re-queues the task and claims it; the lease (and the sweep) is
   only the fallback, printed for comparison.

It never touches the configured database's data: it creates ``<name>_bench`` on the same
server (dropped at the end) and uses Redis database 2."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from tasks.benchmarks.scale import (
    SERVE_WORKER,
    analyze_tasks,
    completed_count,
    outcome,
    queue_tasks,
    serve_scripted_worker,
    status_counts,
    wake,
)
from tasks.models import Task, TaskEvent

NEEDS_SERVICES = (
    "bench_scale measures the scaled-out layout: set DATABASE_URL (PostgreSQL) and REDIS_URL, "
    "or run `make bench-scale`, which starts both with .ci/services."
)
BENCH_REDIS_DB = 2
READY_LINE = "Running worker for channels"
START_TIMEOUT = 60.0
RUN_TIMEOUT = 60.0
# Issue 11: two worker processes at least this many times one worker's tasks per second.
SCALE_TARGET = 1.7


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User and system CPU a process has used so far (Linux ``/proc``; 0 elsewhere), with
    ``children`` that of its ended children too."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14 to 17 of proc(5), 12 to 15 after the name.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU used so far by the PostgreSQL server processes on this machine, backends that
    ended included (the server collects their CPU when they exit)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("postgres"):
            total += cpu_seconds(int(entry.name), children=True)
    return total


class Command(BaseCommand):
    help = "Tasks per second for 1, 2 and 4 worker processes; recovery time after a kill -9."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tasks", type=int, default=500, help="Tasks per throughput run.")
        parser.add_argument("--turns", type=int, default=3, help="Model turns per task.")
        parser.add_argument(
            "--workers", default="1,2,4", help="Worker process counts, comma-separated."
        )
        parser.add_argument(
            "--repeats", type=int, default=3, help="Throughput runs per worker count, in turns."
        )
        parser.add_argument(
            "--warmup", type=int, default=50, help="Untimed tasks a fresh worker set runs first."
        )
        parser.add_argument(
            "--recoveries", type=int, default=5, help="Kill -9 measurements (each mode)."
        )
        parser.add_argument(
            "--lease", type=int, default=None, help="Lease seconds (default: the setting)."
        )
        parser.add_argument(
            "--sweep", type=float, default=None, help="Sweep seconds (default: the setting)."
        )
        parser.add_argument(SERVE_WORKER, action="store_true", help="(internal) be a worker.")
        parser.add_argument("--delay", type=float, default=0.0, help="(internal) model delay.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["serve_worker"]:
            serve_scripted_worker(turns=options["turns"], delay=options["delay"])
            return
        if connections["default"].vendor != "postgresql" or not settings.REDIS_URL:
            raise CommandError(NEEDS_SERVICES)
        self.lease = options["lease"] or settings.TASK_LEASE_SECONDS
        self.sweep = options["sweep"] or settings.WORKER_SWEEP_SECONDS
        counts = [int(n) for n in str(options["workers"]).split(",") if n.strip()]
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-scale-") as tmp:
            self.log_dir = Path(tmp)
            database = self._create_database()
            try:
                self._throughput(
                    counts,
                    tasks=max(1, options["tasks"]),
                    turns=options["turns"],
                    repeats=max(1, options["repeats"]),
                    warmup=max(0, options["warmup"]),
                )
                self._recovery(runs=max(0, options["recoveries"]))
            finally:
                self._drop_database(database)

    # --- the benchmark database -------------------------------------------------------------

    def _create_database(self) -> str:
        connection = connections["default"]
        base = connection.settings_dict["NAME"]
        name = f"{base}_bench"
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        connection.settings_dict["NAME"] = name
        call_command("migrate", verbosity=0, interactive=False)
        db = connection.settings_dict
        user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"], safe="")
        self.database_url = (
            f"postgres://{user}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        )
        self.redis_url = urlunparse(
            urlparse(settings.REDIS_URL)._replace(path=f"/{BENCH_REDIS_DB}")
        )
        version = getattr(connection, "pg_version", 0) // 10000
        self.stdout.write(
            f"Database: PostgreSQL {version} (a fresh {name}); "
            f"Redis database {BENCH_REDIS_DB}; {os.cpu_count()} CPU cores"
        )
        return name

    def _drop_database(self, name: str) -> None:
        connection = connections["default"]
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # --- worker processes -------------------------------------------------------------------

    def _spawn(
        self, count: int, *, turns: int, delay: float = 0.0, locks: bool = True
    ) -> list[subprocess.Popen[bytes]]:
        env = {
            "AGENTDESK_RUN_LOCKS": "true" if locks else "false",
            **{k: v for k, v in os.environ.items() if not k.startswith("AGENTDESK_FAULT")},
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "AGENTDESK_LEASE_SECONDS": str(self.lease),
            "AGENTDESK_SWEEP_SECONDS": str(self.sweep),
            "AGENTDESK_EMBEDDED_WORKER": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "manage.py", "bench_scale", SERVE_WORKER, "--turns", str(turns)]
        processes, logs = [], []
        for _ in range(count):
            log = self.log_dir / f"worker-{len(list(self.log_dir.iterdir()))}.log"
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [*command, "--delay", str(delay)],
                        cwd=settings.BASE_DIR,
                        env={**env, "LOG_LEVEL": "INFO"},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            logs.append(log)
        deadline = time.monotonic() + START_TIMEOUT
        for process, log in zip(processes, logs, strict=True):
            while READY_LINE not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    self._stop(processes)
                    raise CommandError(f"a worker did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
        return processes

    def _stop(self, processes: list[subprocess.Popen[bytes]]) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # --- 1. throughput ----------------------------------------------------------------------

    def _throughput(
        self, counts: list[int], *, tasks: int, turns: int, repeats: int, warmup: int
    ) -> None:
        out = self.stdout.write
        out(
            f"\n1) Throughput: {tasks} tasks queued at once, woken through Redis; zero-latency "
            f"scripted model, {turns} turns per task ({turns - 1} tool calls, then an answer)\n"
            f"   Each worker set first runs {warmup} tasks it is not timed on (as long-running "
            f"workers are warm); the counts run in turns, {repeats} times over, so drift on "
            "the machine weighs on all of them alike."
        )
        out(
            f"   {'workers':>7}  {'wall s':>7}  {'tasks/s':>8}  {'worker CPU ms/task':>18}  "
            f"{'PostgreSQL CPU ms/task':>22}  {'claimed once':>12}  gaps"
        )
        rates: dict[int, list[float]] = {count: [] for count in counts}
        for _ in range(repeats):
            for count in counts:
                rates[count].append(
                    self._one_throughput(count, tasks=tasks, turns=turns, warmup=warmup)
                )
        if len(counts) < 2:
            return
        base = statistics.median(rates[counts[0]])
        out(f"   median tasks/s over {repeats} run(s), against {counts[0]} worker(s):")
        for count in counts:
            median = statistics.median(rates[count])
            ratio = median / base if base else float("inf")
            verdict = ""
            if count == 2 and counts[0] == 1:
                met = "met" if ratio >= SCALE_TARGET else "NOT met"
                verdict = f"   target >= {SCALE_TARGET:g}x: {met}"
            out(f"   {count:>7}  {median:>8.1f}  {ratio:>5.2f}x{verdict}")

    def _one_throughput(self, count: int, *, tasks: int, turns: int, warmup: int) -> float:
        processes = self._spawn(count, turns=turns)
        try:
            if warmup:
                warm = queue_tasks(warmup, title="Scale benchmark warm-up")
                wake(warm, redis_url=self.redis_url)
                self._wait(lambda: completed_count(warm) == len(warm), RUN_TIMEOUT)
            ids = queue_tasks(tasks)
            analyze_tasks()  # the planner's statistics, as a database in use has them
            workers_before = sum(cpu_seconds(p.pid) for p in processes)
            server_before = postgres_cpu_seconds()
            started = time.perf_counter()
            wake(ids, redis_url=self.redis_url)
            self._wait(
                lambda ids=ids: completed_count(ids) == len(ids),
                RUN_TIMEOUT,
                status=lambda ids=ids: status_counts(ids),
            )
            wall = time.perf_counter() - started
            workers_cpu = sum(cpu_seconds(p.pid) for p in processes) - workers_before
            server_cpu = postgres_cpu_seconds() - server_before
        finally:
            self._stop(processes)
        result = outcome(ids)
        once = f"{result.tasks - result.claimed_not_once}/{result.tasks}"
        self.stdout.write(
            f"   {count:>7}  {wall:>7.2f}  {tasks / wall:>8.1f}  "
            f"{workers_cpu * 1000 / tasks:>18.1f}  {server_cpu * 1000 / tasks:>22.1f}  "
            f"{once:>12}  {result.seq_gaps}   ({result.workers_used} workers took tasks)"
        )
        if result.completed != result.tasks or result.claimed_not_once or result.seq_gaps:
            raise CommandError(f"throughput run with {count} workers went wrong: {result}")
        return tasks / wall

    def _wait(self, done: Any, timeout: float, status: Any = None) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise CommandError(
                    f"not done after {timeout:.0f}s" + (f": {status()}" if status else "")
                )
            # One connection for all the polls (a new PostgreSQL backend per poll would be
            # counted as the server's CPU per task).
            time.sleep(0.1)

    # --- 2. recovery ------------------------------------------------------------------------

    def _recovery(self, *, runs: int) -> None:
        if not runs:
            return
        out = self.stdout.write
        out(
            f"\n2) Recovery: a running task's worker killed with SIGKILL, another worker alive;"
            f" liveness check every {settings.WORKER_LIVENESS_SECONDS:g} s;"
            f" lease {self.lease} s, sweep every {self.sweep:g} s"
        )
        for locks, label in ((True, "run locks (PostgreSQL)"), (False, "lease only")):
            seconds = self._recoveries(runs, locks=locks)
            figures = ", ".join(f"{s:.2f}" for s in seconds)
            out(f"   {label:24} death -> running again (s): {figures}")
            out(f"   {'':24} median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s")
        out(
            f"   (bounds: run locks: one liveness check + the claim; lease only: lease"
            f" {self.lease} s + one sweep {self.sweep:g} s + the claim)"
        )

    def _recoveries(self, runs: int, *, locks: bool) -> list[float]:
        # A long run (many slow turns) so the kill lands mid-run.
        processes = self._spawn(2, turns=400, delay=0.05, locks=locks)
        seconds = []
        try:
            for _ in range(runs):
                seconds.append(self._one_recovery(processes))
                processes = [p for p in processes if p.poll() is None]
                processes += self._spawn(1, turns=400, delay=0.05, locks=locks)
        finally:
            self._stop(processes)
        return seconds

    def _one_recovery(self, processes: list[subprocess.Popen[bytes]]) -> float:
        [task_id] = queue_tasks(1, title="Recovery benchmark")
        wake([task_id], redis_url=self.redis_url)
        self._wait(lambda: Task.objects.get(pk=task_id).lease_owner, 60)
        owner = Task.objects.get(pk=task_id).lease_owner
        victim = next(p for p in processes if f":{p.pid}:" in owner)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed = time.perf_counter()

        def running_again() -> bool:
            return (
                TaskEvent.objects.filter(task_id=task_id, type="task.started", seq__gt=1)
                .exclude(data__worker=owner)
                .exists()
            )

        self._wait(running_again, self.lease + self.sweep * 3 + 60)
        elapsed = time.perf_counter() - killed
        Task.objects.filter(pk=task_id).update(cancel_requested=True)
        return elapsed
