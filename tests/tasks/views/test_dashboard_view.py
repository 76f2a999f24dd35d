"""The team dashboard page: active tasks on top with progress and current step, finished ones
below, counts by status, pending approvals linking to the admin; staff only; read in a fixed
number of queries however many tasks there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.models import Task, Todo
from tests.factories import make_approval, make_task, make_ticket, make_todo, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _running(subject: str = "Charged twice") -> Task:
    task = make_task(
        ticket=make_ticket(subject=subject),
        status=Task.Status.RUNNING,
        started_at=timezone.now() - timedelta(seconds=75),
    )
    make_todo(task=task, text="Look up the customer", status=Todo.Status.DONE)
    make_todo(task=task, text="Check the charges", status=Todo.Status.IN_PROGRESS)
    make_todo(task=task, text="Reply", status=Todo.Status.PENDING)
    make_todo(task=task, text="Note", status=Todo.Status.PENDING)
    return task


def test_the_dashboard_shows_active_tasks_above_finished_ones(staff_client):
    running = _running()
    failed = make_task(
        status=Task.Status.FAILED,
        error="The model provider returned 500.",
        finished_at=timezone.now(),
        title="Summarise refunds",
    )
    approval = make_approval(task=make_task(status=Task.Status.AWAITING_APPROVAL))

    response = staff_client.get(reverse("tasks:dashboard"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Dashboard' in html
    active = html.index('id="dash-active"')
    finished = html.index('id="dash-finished"')
    assert active < html.index(f'id="dash-task-{running.pk}"') < finished
    assert html.index(f'id="dash-task-{failed.pk}"') > finished
    # Progress, the current step and the elapsed time of the running task
    assert '<progress max="4" value="1"' in html and "1/4" in html
    assert "Check the charges" in html
    assert "1m 15s" in html and "data-elapsed-since=" in html
    assert "The model provider returned 500." in html
    # Counts by status and the pending approval, linking to the admin
    assert 'data-status-count="running">1<' in html
    assert 'data-status-count="failed">1<' in html
    assert "data-approvals-total>1<" in html
    assert reverse("admin:tasks_approvalrequest_change", args=[approval.pk]) in html


def test_htmx_and_the_live_client_get_only_the_board(staff_client):
    _running()

    response = staff_client.get(reverse("tasks:dashboard"), **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-board"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("tasks:dashboard"), **HTMX).status_code == 200
    return len(queries)


def test_the_board_is_read_in_a_fixed_number_of_queries(staff_client):
    _running()
    make_approval(task=make_task(status=Task.Status.AWAITING_APPROVAL))
    few = _queries(staff_client)

    for n in range(12):
        _running(subject=f"Ticket {n}")
        make_task(status=Task.Status.COMPLETED, finished_at=timezone.now())
        make_approval(task=make_task(status=Task.Status.AWAITING_APPROVAL))
    many = _queries(staff_client)

    assert few == many


def test_only_staff_see_the_dashboard(client):
    url = reverse("tasks:dashboard")
    assert client.get(url).status_code == 302

    client.force_login(make_user(staff=False))
    assert client.get(url).status_code == 403
