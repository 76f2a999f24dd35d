"""Metrics in the scaled-out layout: with PROMETHEUS_MULTIPROC_DIR shared (as .ci/scale sets
it), a web process's /metrics reports what a worker process measured, and the database's
gauges (tasks by status, pending approvals)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tasks.demo.data import SCENARIO_TICKETS
from tasks.models import Task
from tests.integration.checks import wait_status
from tests.integration.clients import ApiClient

pytestmark = [pytest.mark.services, pytest.mark.timeout(120)]


def _metrics(base_url: str) -> str:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as response:
        return response.read().decode()


def test_a_web_process_reports_the_workers_figures(stack, demo, tmp_path: Path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    web = stack.web(PROMETHEUS_MULTIPROC_DIR=str(shared))
    stack.workers(1, PROMETHEUS_MULTIPROC_DIR=str(shared))
    api = ApiClient(web.base_url, demo.support)

    task_id = api.start_ticket_task(SCENARIO_TICKETS["duplicate_charge"])["id"]
    wait_status(task_id, Task.Status.AWAITING_APPROVAL)

    text = _metrics(web.base_url)
    # measured in the worker process: its model calls and tool calls, and the paused run
    assert 'agentdesk_task_runs_total{status="awaiting_approval"} 1.0' in text
    assert 'agentdesk_model_call_seconds_count{model="agentdesk-offline"}' in text
    assert 'agentdesk_tool_call_seconds_count{tool="lookup_customer"}' in text
    # read from the database by the web process
    assert 'agentdesk_tasks{status="awaiting_approval"} 1.0' in text
    assert "agentdesk_approvals_pending 1.0" in text
