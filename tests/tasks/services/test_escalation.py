"""Escalation to people: escalate_to_human puts the ticket in a queue with the reason, assigns
it per the queue's setting and leaves it open; bad calls get an error result and the run goes
on; the backlog filters by queue and shows the reason; the dashboard lists escalated tickets;
the task's outcome is "escalated"."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from tasks.models import EscalationQueue, Task, Ticket, TicketChange
from tasks.services.tickets import (
    ESCALATION_REASON_REQUIRED,
    escalation_queues_ensure,
    ticket_escalate,
)
from tests.factories import make_ticket, make_user
from tests.tasks.approval_helpers import world
from tests.tasks.task_helpers import call, events, final, run_task, turn
from tools_app.errors import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)


def _queues(assignee_username: str | None = None) -> None:
    escalation_queues_ensure()
    if assignee_username:
        lead = make_user(username=assignee_username)
        EscalationQueue.objects.filter(slug="team_leads").update(assignee=lead)


@pytest.mark.asyncio
async def test_the_agent_hands_the_ticket_to_the_team_leads():
    await sync_to_async(_queues)("lead")
    w = await world()
    task = await run_task(
        w.task,
        [
            turn(
                call(
                    "escalate_to_human",
                    {"reason": "Refund of $258.95 is above my limit.", "queue": "team_leads"},
                    id="e1",
                )
            ),
            final("Handed to a team lead."),
        ],
    )

    ticket = await Ticket.objects.select_related("escalation_queue", "assignee").aget(
        pk=w.task.ticket_id
    )
    assert ticket.escalation_queue.slug == "team_leads"
    assert ticket.escalation_reason == "Refund of $258.95 is above my limit."
    assert ticket.assignee.username == "lead" and ticket.status == Ticket.Status.OPEN
    fields = [c async for c in TicketChange.objects.filter(task=task).values_list("field")]
    assert ("queue",) in fields and ("assignee",) in fields
    assert task.outcome == Task.Outcome.ESCALATED
    [returned] = [d for t, d in await events(task) if t == "tool.returned"]
    assert returned["output"]["escalated"]["assignee"] == "lead"


@pytest.mark.asyncio
async def test_an_unknown_queue_or_an_empty_reason_is_an_error_result_and_the_run_goes_on():
    await sync_to_async(_queues)()
    w = await world()
    task = await run_task(
        w.task,
        [
            turn(call("escalate_to_human", {"reason": "x", "queue": "ceo"}, id="e1")),
            turn(call("escalate_to_human", {"reason": "   ", "queue": "billing"}, id="e2")),
            final("Could not escalate."),
        ],
    )
    assert task.status == Task.Status.COMPLETED
    failed = [d for t, d in await events(task) if t == "tool.failed"]
    assert (
        "Unknown escalation queue 'ceo': use one of billing, team_leads, technical"
        in (failed[0]["error"])
    )
    assert failed[0]["output"]["choices"] == ["billing", "team_leads", "technical"]
    assert failed[1]["error"] == ESCALATION_REASON_REQUIRED
    ticket = await Ticket.objects.aget(pk=w.task.ticket_id)
    assert ticket.escalation_queue_id is None


def test_a_switched_off_queue_and_a_solved_ticket_are_refused():
    _queues()
    EscalationQueue.objects.filter(slug="billing").update(active=False)
    ticket = make_ticket()
    with pytest.raises(ApplicationError, match="Unknown escalation queue 'billing'"):
        ticket_escalate(ticket=ticket, queue="billing", reason="r")
    ticket.status = Ticket.Status.SOLVED
    ticket.save()
    with pytest.raises(ApplicationError, match="This ticket is solved"):
        ticket_escalate(ticket=ticket, queue="team_leads", reason="r")


def test_the_backlog_filters_by_queue_and_shows_the_reason(staff_client):
    _queues()
    escalated = make_ticket(subject="Needs a lead")
    ticket_escalate(ticket=escalated, queue="team_leads", reason="Refund above the limit")
    other = make_ticket(subject="Nothing special")

    html = staff_client.get(f"{reverse('tasks:backlog')}?queue=team_leads").content.decode()
    assert "Needs a lead" in html and "Nothing special" not in html
    assert "Refund above the limit" in html and 'class="badge escalated">Team leads' in html
    html = staff_client.get(f"{reverse('tasks:backlog')}?queue=any").content.decode()
    assert "Needs a lead" in html and other.subject not in html
    # an unknown queue is ignored, and said so
    html = staff_client.get(f"{reverse('tasks:backlog')}?queue=nope").content.decode()
    assert "queue=nope" in html and "Nothing special" in html


def test_the_dashboard_lists_escalated_tickets(staff_client):
    _queues()
    ticket = make_ticket(subject="Written in German")
    ticket_escalate(ticket=ticket, queue="team_leads", reason="Customer wrote in German")

    html = staff_client.get(reverse("tasks:dashboard")).content.decode()
    assert "Escalated to people" in html and "Customer wrote in German" in html
    assert f"#{ticket.number} Written in German" in html


def test_the_api_shows_the_escalation_and_filters_by_queue(staff_user):
    from django.test import Client

    from tests.factories import make_api_token

    _queues()
    ticket = make_ticket(subject="API escalated")
    ticket_escalate(ticket=ticket, queue="billing", reason="Invoice dispute")
    make_ticket(subject="API plain")
    _, key = make_api_token(user=staff_user)
    api = Client(headers={"Authorization": f"Bearer {key}"})

    body = api.get("/api/tickets?queue=billing").json()
    assert [t["number"] for t in body["results"]] == [ticket.number]
    assert body["results"][0]["escalation"]["queue"] == "billing"
    assert body["results"][0]["escalation"]["reason"] == "Invoice dispute"
    detail = api.get(f"/api/tickets/{ticket.number}").json()
    assert detail["escalation"]["queue"] == "billing"
    assert api.get("/api/tickets?queue=Bad Queue!").status_code == 400


def test_the_admin_lists_queues_with_their_open_tickets(admin_client):
    _queues()
    ticket = make_ticket()
    ticket_escalate(ticket=ticket, queue="billing", reason="Invoice dispute")

    html = admin_client.get(reverse("admin:tasks_escalationqueue_changelist")).content.decode()

    assert "Billing" in html and "Team leads" in html and "Technical" in html
    assert '<td class="field-waiting">1</td>' in html
