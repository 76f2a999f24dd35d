"""The Insights page: rates, approvals and their median wait, refunds, cost per ticket and
day, time to resolution, tasks per hour and failure reasons over a date range, in a fixed
number of queries; a wrong range is said next to its field and the last two weeks shown."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.forms import RANGE_ORDER, RANGE_TOO_LONG
from tasks.insights_selectors import insights
from tasks.models import ApprovalRequest, Task
from tests.factories import make_approval, make_refund, make_task, make_ticket

pytestmark = pytest.mark.django_db
Outcome = Task.Outcome


def finished(outcome: str, *, took: timedelta = timedelta(minutes=4), **kw) -> Task:
    task = make_task(ticket=make_ticket(), outcome=outcome, cost=Decimal("0.01"), **kw)
    now = timezone.now()
    Task.objects.filter(pk=task.pk).update(created_at=now - took, finished_at=now)
    return task


@pytest.fixture
def week() -> None:
    refunded = finished(Outcome.REFUNDED, took=timedelta(minutes=2))
    finished(Outcome.RESOLVED, took=timedelta(minutes=6))
    finished(Outcome.ESCALATED)
    finished(Outcome.NEEDS_PERSON)
    finished(Outcome.FAILED, status=Task.Status.FAILED, error="The model service is down.")
    finished(Outcome.FAILED, status=Task.Status.FAILED, error="The model service is down.")
    now = timezone.now()
    for status, waited in (
        (ApprovalRequest.Status.APPROVED, 60),
        (ApprovalRequest.Status.APPROVED, 180),
        (ApprovalRequest.Status.REJECTED, 600),
    ):
        approval = make_approval(task=refunded, status=status)
        ApprovalRequest.objects.filter(pk=approval.pk).update(
            created_at=now - timedelta(seconds=waited), decided_at=now
        )
    make_refund(amount=Decimal("19.00"), task=refunded)
    make_refund(amount=Decimal("5.00"))  # paid by a person: not the agents'


def test_the_figures_of_a_range(week):
    today = timezone.localdate()
    result = insights(start=today - timedelta(days=6), end=today)

    assert result.finished == 6
    assert result.auto_resolution_rate == pytest.approx(2 / 6)
    assert result.escalation_rate == pytest.approx(2 / 6)
    assert result.approvals == {"approved": 2, "rejected": 1}
    assert result.median_approval_wait == pytest.approx(180, abs=1)
    assert (result.refunds_total, result.refunds_count) == (Decimal("19.00"), 1)
    assert result.cost_total == Decimal("0.06") and result.cost_per_ticket == Decimal("0.01")
    assert result.median_resolution == pytest.approx(240, abs=1)
    assert result.failures == [("The model service is down.", 2)]
    assert len(result.days) == 7 and result.days[-1]["tasks"] == 6
    assert sum(result.per_hour) == 6


def test_the_page_shows_them_with_a_fixed_number_of_queries(staff_client, week):
    staff_client.get(reverse("tasks:insights"))  # warm up the session and the user
    with CaptureQueriesContext(connection) as few:
        small = staff_client.get(reverse("tasks:insights"))
    for _ in range(20):
        finished(Outcome.RESOLVED)
    with CaptureQueriesContext(connection) as more:
        staff_client.get(reverse("tasks:insights"))

    assert small.status_code == 200
    html = small.content.decode()
    assert "Auto-resolution rate" in html and "33%" in html
    assert "$19.00" in html and "2 / 1 / 0" in html
    assert "The model service is down." in html
    assert 'id="insights-data" type="application/json"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert len(more.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-12-10&end=2026-12-01", RANGE_ORDER),
        ("start=2020-01-01&end=2026-12-01", RANGE_TOO_LONG.format(days=366)),
        ("start=yesterday", "Enter a valid date."),
    ],
)
def test_a_wrong_range_is_said_and_the_default_shown(staff_client, query, message):
    response = staff_client.get(f"{reverse('tasks:insights')}?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "Showing the last two weeks instead." in html


def test_only_staff_see_insights(client):
    response = client.get(reverse("tasks:insights"))
    assert response.status_code in (302, 403)


def test_a_ticket_worked_on_two_days_counts_once_in_the_cost_per_ticket():
    ticket = make_ticket()
    now = timezone.now()
    for days_ago in (0, 1):
        task = make_task(ticket=ticket, outcome=Outcome.RESOLVED, cost=Decimal("0.02"))
        Task.objects.filter(pk=task.pk).update(finished_at=now - timedelta(days=days_ago))

    result = insights(start=timezone.localdate() - timedelta(days=3), end=timezone.localdate())

    assert result.tickets_worked == 1 and result.cost_per_ticket == Decimal("0.04")
