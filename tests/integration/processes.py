"""The processes of the scaled-out layout, started for the integration suite: daphne web
processes, ``manage.py runworker`` agent workers, and a private Redis server.

Each process logs to its own file (shown when a test fails) and is stopped by SIGTERM, or
killed with SIGKILL when a test wants a crash. Only processes started here are ever signalled,
by their own pid."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# The app as `make run` and the Procfile serve it (daphne, services started with the server).
DAPHNE = [PYTHON, "-m", "config.serve"]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
WORKER_READY_LINE = "Running worker for channels"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = ""
) -> object:
    """Polls ``condition`` until it returns something truthy; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or condition}")
        time.sleep(interval)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self, tail: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return ""

    def kill9(self) -> None:
        """A crash: SIGKILL, nothing runs after it."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=STOP_TIMEOUT)

    def wait_exit(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)


def _spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Process:
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, popen, log_path)


@dataclass
class Stack:
    """The processes of one test; everything still running is stopped at teardown."""

    env: dict[str, str]
    log_dir: Path
    processes: list[Process] = field(default_factory=list)
    _names: dict[str, int] = field(default_factory=dict)

    def _name(self, kind: str) -> str:
        self._names[kind] = self._names.get(kind, 0) + 1
        return f"{kind}-{self._names[kind]}"

    def webs(self, count: int, **env: str) -> list[WebProcess]:
        """``count`` daphne processes on free loopback ports, started together, once each
        answers HTTP."""
        started = []
        for _ in range(count):
            port = free_port()
            process = _spawn(
                self._name("web"),
                [*DAPHNE, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                {**self.env, **env},
                self.log_dir,
            )
            web = WebProcess(process.name, process.popen, process.log_path, port=port)
            self.processes.append(web)
            started.append(web)
        for web in started:
            wait_for(functools.partial(_up, web), timeout=START_TIMEOUT, what=web.name)
            assert web.alive(), f"{web.name} exited:\n{web.log()}"
        return started

    def web(self, **env: str) -> WebProcess:
        return self.webs(1, **env)[0]

    def workers(
        self, count: int, *, args: list[str] | None = None, ready: bool = True, **env: str
    ) -> list[Process]:
        """``count`` processes of ``manage.py runworker`` on the agent channel (or ``args``),
        started together; with ``ready``, once each listens."""
        command = args or ["manage.py", "runworker", "agentdesk-tasks"]
        started = []
        for _ in range(count):
            process = _spawn(
                self._name("worker"), [PYTHON, *command], {**self.env, **env}, self.log_dir
            )
            self.processes.append(process)
            started.append(process)
        for process in started if ready else []:
            wait_for(
                functools.partial(_listening, process),
                timeout=START_TIMEOUT,
                what=f"{process.name} to listen",
            )
            assert process.alive(), f"{process.name} exited:\n{process.log()}"
        return started

    def worker(self, *, args: list[str] | None = None, ready: bool = True, **env: str) -> Process:
        return self.workers(1, args=args, ready=ready, **env)[0]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (pid {p.pid}) ---\n{p.log()}" for p in self.processes)

    def stop(self) -> None:
        """SIGTERM to every process still running (workers hand their tasks back), then waits
        for all of them together."""
        for process in self.processes:
            if process.alive():
                process.popen.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.stop()


def _exited(process: Process) -> bool:
    return not process.alive()


def _up(web: WebProcess) -> bool:
    return web.answers() or _exited(web)


def _listening(process: Process) -> bool:
    return WORKER_READY_LINE in process.log() or _exited(process)


@dataclass
class WebProcess(Process):
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/login/", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False


class RedisServer:
    """A private Redis on a free port that a test may stop and start again (the suite's
    shared Redis stays up)."""

    def __init__(self, log_dir: Path) -> None:
        self.binary = shutil.which("redis-server") or ""
        self.port = free_port()
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self.answers, timeout=START_TIMEOUT, what="the private Redis")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, *, kill: bool = False) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.popen.wait(timeout=STOP_TIMEOUT)
        self.popen = None
