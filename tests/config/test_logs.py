"""Log lines: JSON with LOG_FORMAT=json, and every line of a task's run names the task and its
ticket, in either format."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from agents.testing import ScriptedModel

from config.logs import ContextFilter, JsonFormatter, bound
from tests.browser.conftest import ROOT
from tests.factories import make_ticket, make_user
from tests.tasks.task_helpers import run_task


def _record(message: str, args: tuple = (), exc_info=None) -> logging.LogRecord:
    record = logging.LogRecord("tasks.x", logging.WARNING, __file__, 1, message, args, exc_info)
    ContextFilter().filter(record)
    return record


def test_a_json_line_carries_the_bound_fields_and_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    with bound(task_id=12, ticket=1004):
        record = _record("Task %s run failed", (12,), exc_info)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Task 12 run failed"
    assert (line["level"], line["logger"]) == ("WARNING", "tasks.x")
    assert (line["task_id"], line["ticket"]) == (12, 1004)
    assert "ValueError: boom" in line["exc"] and line["time"].endswith("+00:00")


def test_a_text_line_names_the_task_and_nothing_outside_a_run():
    formatter = logging.Formatter("%(levelname)s%(context_text)s: %(message)s")
    with bound(task_id=7):
        assert formatter.format(_record("hello")) == "WARNING [task_id=7]: hello"
    assert formatter.format(_record("hello")) == "WARNING: hello"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[dict] = []
        self.addFilter(ContextFilter())
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def runtime_lines() -> Iterator[list[dict]]:
    handler = Capture()
    logger = logging.getLogger("tasks")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_runs_lines_name_its_task_and_ticket(runtime_lines):
    from asgiref.sync import sync_to_async

    from tasks.services.task_start import task_start_for_ticket

    def start():
        ticket = make_ticket(number=4321)
        return task_start_for_ticket(ticket=ticket, user=make_user())[0]

    task = await sync_to_async(start)()
    await run_task(task, ScriptedModel([]))  # the model has nothing to say: the run fails

    failed = [line for line in runtime_lines if "run failed" in line["message"]]
    assert failed, runtime_lines
    assert all((line["task_id"], line["ticket"]) == (task.pk, 4321) for line in failed)


def test_an_unknown_log_format_stops_the_process_with_the_choices():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_FORMAT": "xml"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json, not 'xml'" in result.stderr
