from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from tasks.models import Task, Ticket, TicketChange, TicketMessage
from tasks.services.tickets import (
    ASSIGNEE_INVALID,
    BODY_REQUIRED,
    CATEGORY_INVALID,
    MESSAGE_BODY_REQUIRED,
    MESSAGE_TOO_LONG,
    PRIORITY_INVALID,
    REQUESTER_REQUIRED,
    STATUS_INVALID,
    SUBJECT_REQUIRED,
    TICKET_CLOSED,
    ticket_add_note,
    ticket_assign,
    ticket_create,
    ticket_reply,
    ticket_set_status,
)
from tests.factories import make_customer, make_ticket, make_user
from tools_app.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_ticket_create_numbers_from_1001_and_opens_the_thread():
    customer = make_customer(email="jane@example.com")

    ticket = ticket_create(
        subject=" Charged twice ",
        body=" Please refund one. ",
        customer=customer,
        category=Ticket.Category.BILLING,
        priority=Ticket.Priority.HIGH,
    )

    assert ticket.number == 1001
    assert (ticket.subject, ticket.body, ticket.status) == (
        "Charged twice",
        "Please refund one.",
        Ticket.Status.NEW,
    )
    assert ticket.requester_email == "jane@example.com"
    [message] = ticket.messages.all()
    assert (message.author_kind, message.body, message.is_internal) == (
        TicketMessage.AuthorKind.CUSTOMER,
        "Please refund one.",
        False,
    )
    assert message.created_at == ticket.created_at


def test_ticket_create_takes_the_next_number():
    make_ticket(number=1500)

    ticket = ticket_create(subject="s", body="b", requester_email="x@example.com")

    assert ticket.number == 1501
    assert ticket.customer is None
    assert ticket.requester_email == "x@example.com"


def test_ticket_create_retries_when_another_create_took_the_number():
    make_ticket(number=1001)
    stale_then_fresh = [{"n": None}, {"n": 1001}]

    # The first read misses the ticket a concurrent create just committed.
    with mock.patch.object(QuerySet, "aggregate", side_effect=stale_then_fresh):
        ticket = ticket_create(subject="s", body="b", requester_email="x@example.com")

    assert ticket.number == 1002
    assert Ticket.objects.count() == 2


def test_ticket_create_keeps_a_given_creation_time():
    when = timezone.now() - timedelta(days=3)

    ticket = ticket_create(subject="s", body="b", requester_email="x@example.com", created_at=when)

    assert ticket.created_at == when


@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        ({"subject": "  "}, SUBJECT_REQUIRED, "subject"),
        ({"body": ""}, BODY_REQUIRED, "body"),
        ({"body": "x" * 10_001}, MESSAGE_TOO_LONG, "body"),
        ({"requester_email": " "}, REQUESTER_REQUIRED, "customer_id"),
        ({"category": "complaint"}, CATEGORY_INVALID, "category"),
        ({"priority": "critical"}, PRIORITY_INVALID, "priority"),
    ],
)
def test_ticket_create_rejects_bad_input(kwargs, message, field):
    base = {"subject": "s", "body": "b", "requester_email": "x@example.com"}

    with pytest.raises(ApplicationError) as exc:
        ticket_create(**{**base, **kwargs})

    assert exc.value.message == message
    assert exc.value.extra["field"] == field
    assert not Ticket.objects.exists()


def test_a_reply_on_a_new_ticket_opens_it_and_is_audited():
    ticket = make_ticket()
    staff = make_user()

    message = ticket_reply(ticket=ticket, body=" On it! ", author=staff)

    assert (message.body, message.is_internal, message.author) == ("On it!", False, staff)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    change = TicketChange.objects.get(ticket=ticket)
    assert (change.field, change.old_value, change.new_value, change.actor) == (
        TicketChange.Field.STATUS,
        "new",
        "open",
        staff,
    )


def test_a_reply_on_a_pending_ticket_keeps_its_status():
    ticket = make_ticket(status=Ticket.Status.PENDING)

    ticket_reply(ticket=ticket, body="Any news?")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert not TicketChange.objects.exists()


def test_a_reply_with_the_same_idempotency_key_is_written_once():
    ticket = make_ticket()
    task = Task.objects.create(title="t", model="agentdesk-offline", ticket=ticket)

    first = ticket_reply(
        ticket=ticket,
        body="Refund issued.",
        author_kind=TicketMessage.AuthorKind.AGENT,
        task=task,
        idempotency_key="task-1-call-7",
    )
    again = ticket_reply(
        ticket=ticket,
        body="Refund issued.",
        author_kind=TicketMessage.AuthorKind.AGENT,
        task=task,
        idempotency_key="task-1-call-7",
    )

    assert again.pk == first.pk
    assert (first.author_kind, first.task) == (TicketMessage.AuthorKind.AGENT, task)
    assert ticket.messages.filter(body="Refund issued.").count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", MESSAGE_BODY_REQUIRED),
        ("  \n", MESSAGE_BODY_REQUIRED),
        ("x" * 10_001, MESSAGE_TOO_LONG),
    ],
)
def test_a_reply_needs_a_sensible_body(body, message):
    ticket = make_ticket()

    with pytest.raises(ApplicationError) as exc:
        ticket_reply(ticket=ticket, body=body)

    assert exc.value.message == message
    assert ticket.messages.count() == 1


def test_nothing_can_be_written_on_a_closed_ticket():
    ticket = make_ticket(status=Ticket.Status.CLOSED)

    with pytest.raises(ApplicationError) as reply:
        ticket_reply(ticket=ticket, body="Hello?")
    with pytest.raises(ApplicationError) as note:
        ticket_add_note(ticket=ticket, body="Note")

    assert reply.value.message == note.value.message == TICKET_CLOSED
    assert ticket.messages.count() == 1


def test_a_note_is_internal_and_leaves_the_status_alone():
    ticket = make_ticket()

    note = ticket_add_note(ticket=ticket, body="Customer is a VIP.")

    assert note.is_internal
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_note_with_the_same_idempotency_key_is_written_once():
    ticket = make_ticket()

    first = ticket_add_note(ticket=ticket, body="n", idempotency_key="k")
    again = ticket_add_note(ticket=ticket, body="n", idempotency_key="k")

    assert first.pk == again.pk
    assert ticket.messages.filter(is_internal=True).count() == 1


def test_ticket_set_status_records_the_change():
    ticket = make_ticket(status=Ticket.Status.OPEN)
    staff = make_user()

    ticket_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=staff)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    change = TicketChange.objects.get(ticket=ticket)
    assert (change.old_value, change.new_value, change.actor) == ("open", "solved", staff)


def test_ticket_set_status_to_the_same_status_records_nothing():
    ticket = make_ticket(status=Ticket.Status.OPEN)

    ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN)

    assert not TicketChange.objects.exists()


def test_ticket_set_status_rejects_unknown_statuses():
    ticket = make_ticket()

    with pytest.raises(ApplicationError) as exc:
        ticket_set_status(ticket=ticket, status="archived")

    assert exc.value.message == STATUS_INVALID
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_ticket_assign_and_unassign_are_audited():
    ticket = make_ticket()
    maria = make_user(username="maria")
    lead = make_user(username="lead")

    ticket_assign(ticket=ticket, assignee=maria, actor=lead)
    ticket_assign(ticket=ticket, assignee=maria, actor=lead)  # no change, no record
    ticket_assign(ticket=ticket, assignee=None, actor=lead)

    ticket.refresh_from_db()
    assert ticket.assignee is None
    changes = list(TicketChange.objects.filter(ticket=ticket).values_list("old_value", "new_value"))
    assert changes == [("", "maria"), ("maria", "")]


@pytest.mark.parametrize("kw", [{"staff": False}, {"is_active": False}])
def test_tickets_are_assigned_only_to_active_staff(kw):
    ticket = make_ticket()
    user = make_user(**kw)

    with pytest.raises(ApplicationError) as exc:
        ticket_assign(ticket=ticket, assignee=user)

    assert exc.value.message == ASSIGNEE_INVALID
    ticket.refresh_from_db()
    assert ticket.assignee is None
