"""The processes ``manage.py bench_ws`` measures: a seeded database (built once, copied for
each round), Redis on a free loopback port, the web server (daphne) and, with Redis, an agent
worker; and the CPU time each of them used (from ``/proc``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

START_TIMEOUT = 30.0
BENCH_USER = "support"  # a demo staff login (tasks.demo.data)


@dataclass(frozen=True)
class Template:
    path: Path
    api_key: str
    # The round's tasks: made and cancelled in the template, so each round's clients connect
    # first and a Retry then runs them while everyone watches.
    task_ids: list[int]


@dataclass
class Servers:
    base_url: str
    database: Path
    # Process name -> pid (daphne, and the worker and redis when used).
    pids: dict[str, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_env(*, database: Path, delay: float, redis_url: str = "") -> dict[str, str]:
    """The environment of the measured processes: production settings on a throwaway SQLite
    file, the offline model paced at ``delay`` seconds a turn, never a real model."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "AGENTDESK_OFFLINE_DELAY": str(delay),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "REDIS_URL", "AGENTDESK_EMBEDDED_WORKER"):
        env.pop(name, None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.stdout


# Run by ``manage.py shell`` on the template: investigations of the first workable tickets
# (free-text tasks if there are too few), each cancelled while still queued.
_MAKE_TASKS = """
import json
from tasks.models import Ticket
from tasks.services.task_lifecycle import task_cancel
from tasks.services.task_start import task_start_for_ticket, task_start_free_text
count = {count}
tickets = Ticket.objects.filter(status__in=Ticket.ACTIVE_STATUSES).order_by("number")[:count]
tasks = [task_start_for_ticket(ticket=ticket, user=None)[0] for ticket in tickets]
tasks += [
    task_start_free_text(text=f"Benchmark request {{n}}: summarise the refund policy.", user=None)
    for n in range(count - len(tasks))
]
print(json.dumps([task_cancel(task=task).pk for task in tasks]))
"""


def build_template(workdir: Path, *, tasks: int) -> Template:
    """Migrates and seeds the demo data once, with an API token for the clients and the
    rounds' tasks."""
    path = workdir / "template.sqlite3"
    env = bench_env(database=path, delay=0)
    _manage("migrate", "--noinput", "-v", "0", env=env)
    _manage("seed_demo", env=env)
    key = _manage("create_api_token", BENCH_USER, "--name", "bench_ws", env=env).strip()
    out = _manage("shell", "-c", _MAKE_TASKS.format(count=tasks), env=env)
    task_ids = [int(pk) for pk in json.loads(out.strip().splitlines()[-1])]
    with sqlite3.connect(path) as db:
        # Everything into the main file: each round copies just that file.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Template(path=path, api_key=key.splitlines()[-1], task_ids=task_ids)


def copy_template(template: Template, workdir: Path, name: str) -> Path:
    target = workdir / f"{name}.sqlite3"
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(template.path, target)
    return target


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.stem} exited early:\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Nothing answered on port {port}:\n{tail(log)}")


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def _start(args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[str, int]]:
    """A private Redis on a free loopback port, without persistence; stopped afterwards."""
    port = free_port()
    log = workdir / f"redis-{port}.log"
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed")
    process = _start(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        env=dict(os.environ),
        log=log,
    )
    try:
        wait_for_port(port, process, log)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        _stop(process)


@contextmanager
def app_servers(
    workdir: Path, *, database: Path, delay: float, redis: tuple[str, int] | None
) -> Iterator[Servers]:
    """daphne on a free port; with Redis, an agent worker process beside it (without, the
    worker runs inside daphne on the in-memory layer)."""
    redis_url = redis[0] if redis else ""
    env = bench_env(database=database, delay=delay, redis_url=redis_url)
    port = free_port()
    log = workdir / f"daphne-{port}.log"
    daphne = Path(sys.executable).with_name("daphne")
    processes = [
        _start(
            [str(daphne), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            env=env,
            log=log,
        )
    ]
    servers = Servers(base_url=f"127.0.0.1:{port}", database=database)
    servers.pids["daphne"] = processes[0].pid
    try:
        wait_for_port(port, processes[0], log)
        if redis:
            worker = _start(
                [
                    sys.executable,
                    str(settings.BASE_DIR / "manage.py"),
                    "runworker",
                    settings.WORKER_CHANNEL,
                ],
                env=env,
                log=workdir / f"worker-{port}.log",
            )
            processes.append(worker)
            servers.pids["worker"] = worker.pid
            servers.pids["redis"] = redis[1]
        yield servers
    finally:
        for process in reversed(processes):
            _stop(process)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def task_states(database: Path, task_ids: list[int]) -> dict[int, tuple[str, int]]:
    """Status and last seq of the tasks, read straight from the SQLite file."""
    marks = ",".join("?" * len(task_ids))
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute(
            f"SELECT id, status, last_seq FROM tasks_task WHERE id IN ({marks})", task_ids
        ).fetchall()
    return {pk: (status, last_seq) for pk, status, last_seq in rows}
