"""Portal task actions: start (one and bulk), the task page and panel, cancel, retry and
follow-up, with and without htmx."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tasks.events import TaskEventType, events_store
from tasks.models import Task, Ticket, Todo
from tasks.services.task_lifecycle import FOLLOW_UP_WHILE_ACTIVE, TASK_NOT_RETRYABLE
from tasks.services.task_start import (
    TICKET_NOT_WORKABLE,
    task_start_for_ticket,
    task_start_free_text,
)
from tasks.views.task_actions import BULK_NONE_SELECTED
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def flash(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _task(ticket: Ticket | None = None, **fields) -> Task:
    task, _ = task_start_for_ticket(ticket=ticket or make_ticket(), user=None)
    if fields:
        Task.objects.filter(pk=task.pk).update(**fields)
        task.refresh_from_db()
    return task


def test_start_investigation_redirects_back_with_a_message(staff_client):
    ticket = make_ticket()

    response = staff_client.post(reverse("tasks:task_start", args=[ticket.number]))

    assert response["Location"] == reverse("tasks:ticket_detail", args=[ticket.number])
    task = Task.objects.get(ticket=ticket)
    assert task.status == Task.Status.QUEUED
    assert "Investigation started" in flash(response)


def test_start_with_htmx_returns_the_agent_panel_with_the_new_task(staff_client):
    ticket = make_ticket()

    response = staff_client.post(reverse("tasks:task_start", args=[ticket.number]), **HTMX)

    html = response.content.decode()
    task = Task.objects.get(ticket=ticket)
    assert response.status_code == 200
    assert 'id="agent-panel"' in html
    assert f'id="task-{task.pk}"' in html
    # Followed live over the task's websocket (static/js/live.js), from the seq it shows.
    assert f'data-live-task="{task.pk}" data-live-seq="{task.last_seq}"' in html
    assert "Start investigation" not in html


def test_the_ticket_page_shows_the_agent_panel_with_the_latest_task(staff_client):
    ticket = make_ticket()
    task = _task(ticket, status=Task.Status.FAILED, error="The model provider returned 500.")

    html = staff_client.get(reverse("tasks:ticket_detail", args=[ticket.number])).content.decode()

    assert 'id="agent-panel"' in html
    assert f'id="task-{task.pk}"' in html
    assert "The model provider returned 500." in html
    assert "Retry" in html
    assert "Start investigation" in html


def test_start_on_a_closed_ticket_is_a_400_with_the_reason(staff_client):
    ticket = make_ticket(status=Ticket.Status.CLOSED)

    response = staff_client.post(reverse("tasks:task_start", args=[ticket.number]), **HTMX)

    assert response.status_code == 400
    assert TICKET_NOT_WORKABLE in response.content.decode()
    assert not Task.objects.exists()


def test_start_on_an_unknown_ticket_is_a_404(staff_client):
    response = staff_client.post(reverse("tasks:task_start", args=[987654]))

    assert response.status_code == 404


def test_task_actions_need_staff(client):
    ticket = make_ticket()

    response = client.post(reverse("tasks:task_start", args=[ticket.number]))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert not Task.objects.exists()


def test_bulk_start_reports_counts_and_skips_closed_tickets(staff_client):
    fresh = make_ticket()
    closed = make_ticket(status=Ticket.Status.CLOSED)

    response = staff_client.post(
        reverse("tasks:task_bulk_start"),
        {"numbers": [str(fresh.number), str(closed.number), "junk"]},
    )

    html = flash(response)
    assert "Started 1 investigation(s)." in html
    assert f"#{closed.number} ({TICKET_NOT_WORKABLE})" in html
    assert Task.objects.filter(ticket=fresh).count() == 1
    assert not Task.objects.filter(ticket=closed).exists()


def test_bulk_start_with_nothing_selected(staff_client):
    response = staff_client.post(reverse("tasks:task_bulk_start"), {})

    assert response["Location"] == reverse("tasks:backlog")
    assert BULK_NONE_SELECTED in flash(response)


def test_task_page_shows_todos_timeline_output_usage_and_errors_in_red(staff_client):
    task = _task(
        status=Task.Status.COMPLETED,
        final_output="Refunded $19.",
        input_tokens=1200,
        output_tokens=300,
    )
    Todo.objects.create(task=task, position=1, text="Look up the customer", status="done")
    Todo.objects.create(task=task, position=2, text="Reply", status="pending")
    events_store(
        task_id=task.pk,
        events=[
            (
                TaskEventType.TOOL_CALLED,
                {"name": "get_order", "call_id": "a", "arguments": {"order_number": "ORD-9"}},
            ),
            (
                TaskEventType.TOOL_FAILED,
                {"name": "get_order", "call_id": "a", "error": "No order with that number."},
            ),
            (TaskEventType.REASONING_COMPLETED, {"text": "Two charges for October."}),
        ],
    )

    html = staff_client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()

    assert "Look up the customer" in html
    assert "1 of 2 done" in html
    assert 'value="50"' in html
    assert "get_order(order_number=&#x27;ORD-9&#x27;)" in html
    assert 'class="tl tl-tool tl-error"' in html
    assert "No order with that number." in html
    assert "Two charges for October." in html
    assert "Refunded $19." in html
    assert "1,500 tokens" in html
    assert "Send follow-up" in html
    assert "every 2s" not in html


def test_a_free_text_task_has_its_own_page(staff_client, staff_user):
    task = task_start_free_text(text="Summarise this week's refund tickets", user=staff_user)

    html = staff_client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()

    assert "<h1>Summarise this week&#x27;s refund tickets</h1>" in html
    assert f'id="task-{task.pk}"' in html
    assert "Queued" in html


def test_task_panel_partial_is_followed_live_not_polled(staff_client):
    task = _task()

    response = staff_client.get(reverse("tasks:task_detail", args=[task.pk]), **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith(f'<div id="task-{task.pk}"')
    assert f'data-live-task="{task.pk}"' in html
    assert "every 2s" not in html
    assert "offline model" in html


def test_cancel_retry_and_follow_up_from_the_panel(staff_client):
    task = _task()

    cancelled = staff_client.post(reverse("tasks:task_cancel", args=[task.pk]), **HTMX)
    retried = staff_client.post(reverse("tasks:task_retry", args=[task.pk]), **HTMX)

    assert cancelled.status_code == retried.status_code == 200
    task.refresh_from_db()
    assert task.status == Task.Status.QUEUED
    assert "Cancel" in retried.content.decode()


def test_retry_of_a_running_task_is_refused(staff_client):
    task = _task(status=Task.Status.RUNNING)

    response = staff_client.post(reverse("tasks:task_retry", args=[task.pk]), **HTMX)

    assert response.status_code == 400
    assert TASK_NOT_RETRYABLE in response.content.decode()


def test_follow_up_to_a_running_task_shows_a_clear_error_and_keeps_the_text(staff_client):
    task = _task(status=Task.Status.RUNNING)

    response = staff_client.post(
        reverse("tasks:task_follow_up", args=[task.pk]), {"text": "Anything else?"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert FOLLOW_UP_WHILE_ACTIVE in html.replace("&#x27;", "'")
    assert "Anything else?" in html


def test_follow_up_to_a_completed_task_requeues_it(staff_client):
    task = _task(status=Task.Status.COMPLETED, final_output="Done.")

    response = staff_client.post(
        reverse("tasks:task_follow_up", args=[task.pk]), {"text": "Check ORD-1 too."}
    )

    task.refresh_from_db()
    assert task.status == Task.Status.QUEUED
    assert task.history[-1] == {"role": "user", "content": "Check ORD-1 too."}
    assert "Follow-up sent" in flash(response)
