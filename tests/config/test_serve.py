"""The server starts the embedded worker as it starts (``python -m config.serve``, what
`make run` and the Procfile use): a task a stopped server left running and a queued one both
finish without anyone opening a page."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.browser.conftest import ROOT, _free_port, serve_command

FINISH_TIMEOUT = 60.0


def _statuses(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT status FROM tasks_task ORDER BY id")]


def test_tasks_left_by_a_stopped_server_run_when_the_server_starts(tmp_path: Path) -> None:
    database = tmp_path / "serve.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"sqlite:///{database}",
        "AGENTDESK_OFFLINE_DELAY": "0",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "REDIS_URL"):
        env.pop(name, None)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    subprocess.run(
        [sys.executable, "-m", "tests.config.serve_seed", str(gone.pid)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    assert _statuses(database) == ["running", "queued"]

    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            serve_command(_free_port()), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + FINISH_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _statuses(database) == ["completed", "completed"]:
                break
            time.sleep(0.2)
        # no request was made: the server started the worker itself
        assert _statuses(database) == ["completed", "completed"], log_path.read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)
