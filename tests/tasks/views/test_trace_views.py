"""A task's trace: a waterfall on the task page and GET /api/tasks/{id}/trace, one block per
start of the task, each span under its parent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tasks.models import Task, TaskSpan
from tests.factories import make_api_token, make_task

pytestmark = pytest.mark.django_db


def span(
    task: Task,
    trace: str,
    span_id: str,
    parent: str,
    kind: str,
    name: str,
    start_ms: int,
    took_ms: int,
    **data,
) -> TaskSpan:
    base = timezone.now().replace(microsecond=0) + (
        timedelta(hours=1) if trace == "t2" else timedelta()
    )
    started = base + timedelta(milliseconds=start_ms)
    return TaskSpan.objects.create(
        task=task,
        trace_id=trace,
        span_id=span_id,
        parent_id=parent,
        kind=kind,
        name=name,
        started_at=started,
        ended_at=started + timedelta(milliseconds=took_ms),
        duration_ms=took_ms,
        data=data,
    )


@pytest.fixture
def traced_task() -> Task:
    task = make_task(status=Task.Status.COMPLETED)
    span(task, "t1", "run", "", "run", "AgentDesk task", 0, 1000)
    span(
        task,
        "t1",
        "model",
        "run",
        "model",
        "gpt-5-mini",
        0,
        400,
        input_tokens=120,
        output_tokens=8,
        cached_tokens=0,
        ttft_ms=150.0,
    )
    span(task, "t1", "tool", "run", "tool", "issue_refund", 500, 0, input="{}", output=None)
    span(task, "t2", "wait", "", "approval", "issue_refund", 0, 3000, decision="approved")
    span(task, "t2", "run2", "", "run", "AgentDesk task", 3000, 500)
    return task


def test_the_task_page_shows_the_waterfall(staff_client: Client, traced_task: Task):
    html = staff_client.get(reverse("tasks:task_detail", args=[traced_task.pk])).content.decode()

    assert '<h2 id="trace-heading">Trace</h2>' in html
    assert "Start 1" in html and "Start 2" in html
    assert "120 in / 8 out, first token 150 ms" in html
    assert "paused for approval" in html and "approved" in html
    # the model call starts at the run's start and takes 40% of it: a bar from 0, 400 wide
    assert '<rect x="0" y="0" width="400" height="10">' in html
    assert 'class="wf-name wf-depth-1"' in html


def test_a_task_without_spans_says_so(staff_client: Client):
    task = make_task()
    html = staff_client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
    assert "No trace yet" in html


def test_the_api_returns_the_trace_per_start(staff_user, traced_task: Task):
    _, key = make_api_token(user=staff_user)
    api = Client(headers={"Authorization": f"Bearer {key}"})

    body = api.get(f"/api/tasks/{traced_task.pk}/trace").json()

    first, second = body["traces"]
    assert [s["span_id"] for s in first["spans"]] == ["run", "model", "tool"]
    assert [s["depth"] for s in first["spans"]] == [0, 1, 1]
    assert first["spans"][2]["offset_ms"] == 500.0
    assert first["duration_ms"] == 1000.0
    assert [s["kind"] for s in second["spans"]] == ["approval", "run"]
    assert second["spans"][0]["data"]["decision"] == "approved"


def test_the_trace_of_an_unknown_task_is_a_404(staff_user):
    _, key = make_api_token(user=staff_user)
    api = Client(headers={"Authorization": f"Bearer {key}"})
    response = api.get("/api/tasks/999999/trace")
    assert response.status_code == 404
