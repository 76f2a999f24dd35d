"""The task API: start, read state and events, cancel, retry, follow-up, and its errors."""

from __future__ import annotations

import pytest

from tasks.api.tasks import TASK_INPUT_CHOICE
from tasks.events import TaskEventType, events_store
from tasks.models import ApprovalRequest, Task, Ticket, Todo
from tasks.services.task_lifecycle import FOLLOW_UP_WHILE_ACTIVE, TASK_NOT_RETRYABLE
from tasks.services.task_start import TICKET_NOT_WORKABLE
from tests.factories import make_ticket
from tests.tasks.api.helpers import error, post

pytestmark = pytest.mark.django_db


def test_start_a_ticket_task_returns_201_at_once(api, staff_user):
    ticket = make_ticket()

    response = post(api, "/api/tasks", {"ticket_number": ticket.number})

    assert response.status_code == 201
    body = response.json()
    task = Task.objects.get(pk=body["id"])
    assert (body["status"], body["ticket_number"]) == ("queued", ticket.number)
    assert task.created_by == staff_user
    assert body["usage"] == {
        "input_tokens": 0,
        "output_tokens": 0,
        "total_tokens": 0,
        "cost": "0.000000",
    }


def test_starting_the_same_ticket_again_returns_the_active_task(api):
    ticket = make_ticket()
    first = post(api, "/api/tasks", {"ticket_number": ticket.number}).json()

    again = post(api, "/api/tasks", {"ticket_number": ticket.number})

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]


def test_start_on_an_unknown_ticket_is_404(api):
    response = post(api, "/api/tasks", {"ticket_number": 987654})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found: ticket 987654"}


def test_start_on_a_closed_ticket_is_400_on_the_ticket_number(api):
    ticket = make_ticket(status=Ticket.Status.CLOSED)

    response = post(api, "/api/tasks", {"ticket_number": ticket.number})

    assert error(response) == ("ticket_number", TICKET_NOT_WORKABLE)


def test_free_text_task_and_input_rules(api):
    created = post(api, "/api/tasks", {"input": "Summarise this week's refund tickets"})
    both = post(api, "/api/tasks", {"input": "x", "ticket_number": 1})
    neither = post(api, "/api/tasks", {})
    empty = post(api, "/api/tasks", {"input": ""})

    assert created.status_code == 201
    assert created.json()["ticket_number"] is None
    assert error(both) == (None, TASK_INPUT_CHOICE)
    assert error(neither) == (None, TASK_INPUT_CHOICE)
    assert error(empty)[0] == "input"


def test_get_task_shows_todos_usage_output_and_approvals(api):
    ticket = make_ticket()
    task_id = post(api, "/api/tasks", {"ticket_number": ticket.number}).json()["id"]
    Task.objects.filter(pk=task_id).update(
        status=Task.Status.AWAITING_APPROVAL, input_tokens=10, output_tokens=5
    )
    Todo.objects.create(task_id=task_id, position=1, text="Check orders", status="done")
    ApprovalRequest.objects.create(
        task_id=task_id,
        tool_name="issue_refund",
        call_id="r1",
        summary="Refund $19.00 on ORD-1 (dup)",
    )

    body = api.get(f"/api/tasks/{task_id}").json()

    assert body["status"] == "awaiting_approval"
    assert body["todos"] == [
        {"id": body["todos"][0]["id"], "position": 1, "text": "Check orders", "status": "done"}
    ]
    assert body["usage"]["total_tokens"] == 15
    assert body["pending_approvals"][0]["summary"] == "Refund $19.00 on ORD-1 (dup)"
    assert body["input"].startswith(f"Ticket #{ticket.number}")


def test_unknown_task_is_404_and_bad_ids_are_400(api):
    assert api.get("/api/tasks/999999").status_code == 404
    assert api.get("/api/tasks/0").status_code == 400


def test_events_after_a_seq(api):
    task_id = post(api, "/api/tasks", {"input": "Hello"}).json()["id"]
    events_store(
        task_id=task_id,
        events=[
            (TaskEventType.TASK_STARTED, {"status": "running"}),
            (TaskEventType.TOOL_CALLED, {"name": "lookup_customer"}),
        ],
    )

    page = api.get(f"/api/tasks/{task_id}/events?after_seq=1").json()

    assert page["last_seq"] == 3
    assert [(e["seq"], e["type"]) for e in page["results"]] == [
        (2, "task.started"),
        (3, "tool.called"),
    ]
    assert api.get(f"/api/tasks/{task_id}/events?after_seq=-1").status_code == 400


def test_cancel_retry_follow_up(api):
    task_id = post(api, "/api/tasks", {"input": "Hello"}).json()["id"]

    cancelled = post(api, f"/api/tasks/{task_id}/cancel")
    retried = post(api, f"/api/tasks/{task_id}/retry")
    refused = post(api, f"/api/tasks/{task_id}/retry")
    early = post(api, f"/api/tasks/{task_id}/follow-up", {"text": "More?"})
    Task.objects.filter(pk=task_id).update(status=Task.Status.COMPLETED)
    followed = post(api, f"/api/tasks/{task_id}/follow-up", {"text": "More?"})
    blank = post(api, f"/api/tasks/{task_id}/follow-up", {"text": ""})

    assert cancelled.json()["status"] == "cancelled"
    assert retried.json()["status"] == "queued"
    assert error(refused) == ("task", TASK_NOT_RETRYABLE)
    assert error(early) == ("text", FOLLOW_UP_WHILE_ACTIVE)
    assert followed.json()["status"] == "queued"
    assert error(blank)[0] == "text"


def test_the_task_api_needs_credentials(client):
    assert client.post("/api/tasks", {}, content_type="application/json").status_code == 401
