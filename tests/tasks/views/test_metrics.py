"""Prometheus metrics at /metrics: by token or allowed address, with the database's gauges,
HTTP requests, the runs' model and tool figures (from their trace spans) and open sockets."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from prometheus_client import REGISTRY

from tasks.models import Task
from tasks.views.metrics import NOT_ALLOWED
from tests.factories import make_task, make_user
from tests.tasks.approval_helpers import world
from tests.tasks.live_helpers import connect, fresh_layer  # noqa: F401
from tests.tasks.task_helpers import call, final, run_task, turn


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_metrics_from_loopback_report_tasks_queue_and_requests(client: Client):
    make_task(status=Task.Status.QUEUED)
    make_task(status=Task.Status.QUEUED)
    make_task(status=Task.Status.FAILED)
    client.get("/healthz")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'agentdesk_tasks{status="queued"} 2.0' in text
    assert 'agentdesk_tasks{status="failed"} 1.0' in text
    assert "agentdesk_queue_depth 2.0" in text
    assert "agentdesk_approvals_pending 0.0" in text
    assert 'agentdesk_http_requests_total{method="GET",route="healthz",status="200"}' in text
    assert "agentdesk_model_call_seconds" in text and "agentdesk_websockets_open" in text


@pytest.mark.django_db
def test_metrics_from_another_address_are_refused_with_how_to_get_in(client: Client):
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 403
    assert response.content.decode() == NOT_ALLOWED


@pytest.mark.django_db
def test_with_a_token_only_the_token_lets_a_scraper_in(client: Client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics"
    assert client.get("/metrics").status_code == 403  # loopback alone is not enough now
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = client.get(
        "/metrics", REMOTE_ADDR="10.1.2.3", headers={"Authorization": "Bearer s3cret-metrics"}
    )
    assert right.status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_run_counts_its_model_calls_tools_errors_and_outcome():
    before = {
        "tool": sample("agentdesk_tool_call_seconds_count", tool="lookup_customer"),
        "errors": sample("agentdesk_tool_errors_total", tool="get_order"),
        "model": sample("agentdesk_model_call_seconds_count", model="scripted-test-model"),
        "tokens": sample("agentdesk_model_tokens_total", model="scripted-test-model", kind="input"),
        "runs": sample("agentdesk_task_runs_total", status="completed"),
    }
    w = await world()
    task = await run_task(
        w.task,
        [
            turn(call("lookup_customer", {}, id="c1"), input_tokens=40, output_tokens=2),
            turn(call("get_order", {"order_number": "ORD-404"}, id="c2")),
            final("Done."),
        ],
    )
    assert task.status == Task.Status.COMPLETED

    assert sample("agentdesk_tool_call_seconds_count", tool="lookup_customer") == before["tool"] + 1
    assert sample("agentdesk_tool_errors_total", tool="get_order") == before["errors"] + 1
    model_calls = sample("agentdesk_model_call_seconds_count", model="scripted-test-model")
    assert model_calls == before["model"] + 3
    tokens = sample("agentdesk_model_tokens_total", model="scripted-test-model", kind="input")
    assert tokens == before["tokens"] + 40
    assert sample("agentdesk_task_runs_total", status="completed") == before["runs"] + 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("fresh_layer")
async def test_open_websockets_are_counted_until_they_close():
    staff = await sync_to_async(make_user)()
    before = sample("agentdesk_websockets_open", socket="dashboard")
    socket = await connect("/ws/dashboard/", staff)
    assert sample("agentdesk_websockets_open", socket="dashboard") == before + 1
    await socket.disconnect()
    await asyncio.sleep(0)
    assert sample("agentdesk_websockets_open", socket="dashboard") == before
