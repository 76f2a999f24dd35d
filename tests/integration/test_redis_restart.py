"""Redis restarted in the middle of a run: the channel layer loses every queued message and
group, but the database has the task and its events. The run finishes, and websocket clients
(a dashboard and a task page) end up complete, catching up by seq.

This test runs its own Redis server (the suite's stays up) so it can stop and start it."""

from __future__ import annotations

import shutil
import time

import pytest

from tasks.demo.data import SCENARIO_TICKETS
from tasks.models import Task
from tests.integration.checks import assert_no_seq_gap, event_seqs, task_now, wait_status
from tests.integration.clients import ApiClient, DashboardStream, TaskStream
from tests.integration.processes import RedisServer, wait_for

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]

OUTAGE_SECONDS = 2.0


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (run .ci/services to install it)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_run_survives_a_redis_restart_and_clients_catch_up(stack, demo, redis_server):
    # given a web process and two workers on a Redis that will restart, runs slow enough to
    # be caught in the middle
    stack.env.update(REDIS_URL=redis_server.url, AGENTDESK_OFFLINE_DELAY="0.4")
    web = stack.web()
    stack.workers(2)
    api = ApiClient(web.base_url, demo.support)
    dashboard = DashboardStream(web.base_url, api.token).start()
    wait_for(lambda: dashboard.connections, timeout=30, what="the dashboard socket")
    time.sleep(0.5)  # the dashboard consumer has joined its group

    # when staff start an investigation, followed on its own socket too
    task_id = api.start_ticket_task(SCENARIO_TICKETS["late_shipment"])["id"]
    page = TaskStream(web.base_url, task_id, api.token).start()
    wait_for(lambda: task_now(task_id).last_seq >= 6, timeout=60, what="the run under way")

    # and Redis restarts in the middle of the run (everything it held is gone)
    redis_server.stop()
    seq_at_restart = task_now(task_id).last_seq
    time.sleep(OUTAGE_SECONDS)
    redis_server.start()

    # then the run finishes (the database held the task; the worker went on)
    task = wait_status(task_id, Task.Status.COMPLETED, timeout=90)
    assert task.last_seq > seq_at_restart
    assert_no_seq_gap(task_id)

    # and the task page's socket saw every event once, in order, through task.completed
    assert page.done.wait(30), (
        f"the task socket saw seqs up to {page.last_seq} of {task.last_seq} over "
        f"{page.connections} connection(s), errors {page.errors}: a socket that stays open "
        "must keep receiving after Redis lost its groups, or be closed so the client catches up"
    )
    page.stop()
    assert page.seqs == event_seqs(task_id)

    # and the dashboard ends complete: it knows the task's last event, task.completed
    wait_for(
        lambda: dashboard.knows(task_id, "task.completed"),
        timeout=30,
        what="the dashboard to know the task completed",
    )
    dashboard.stop()
    assert dashboard.last[task_id][0] == task.last_seq
