"""Starting tasks: rendered input, one active task per ticket, closed tickets refused, a worker
woken after commit."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from tasks.models import Task, TaskEvent, Ticket
from tasks.services.task_start import (
    FREE_TEXT_REQUIRED,
    TICKET_MISSING,
    TICKET_NOT_WORKABLE,
    task_bulk_start,
    task_render_input,
    task_start_for_ticket,
    task_start_free_text,
)
from tests.factories import make_customer, make_ticket
from tools_app.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def layer():
    channel_layer = get_channel_layer()
    async_to_sync(channel_layer.flush)()
    return channel_layer


def test_task_input_is_rendered_from_the_ticket():
    customer = make_customer(name="Jane Doe", email="jane@example.com")
    ticket = make_ticket(
        customer=customer,
        number=1007,
        category="refund",
        priority="high",
        subject="Charged twice for October",
        body="I was charged twice.\nPlease fix.",
    )

    text = task_render_input(ticket=ticket)

    assert text == (
        "Ticket #1007 (category: refund, priority: high, status: new)\n"
        f"Customer: Jane Doe <jane@example.com> (customer id {customer.pk})\n"
        "Subject: Charged twice for October\n"
        "----\n"
        "I was charged twice.\nPlease fix."
    )


def test_starting_a_ticket_queues_a_task_and_wakes_a_worker_after_commit(
    staff_user, layer, django_capture_on_commit_callbacks
):
    ticket = make_ticket()

    with django_capture_on_commit_callbacks(execute=True):
        task, created = task_start_for_ticket(ticket=ticket, user=staff_user)

    assert created is True
    assert task.status == Task.Status.QUEUED
    assert task.model == settings.OFFLINE_MODEL_NAME
    assert task.created_by == staff_user
    assert task.input.startswith(f"Ticket #{ticket.number} ")
    event = TaskEvent.objects.get(task=task)
    assert (event.seq, event.type, event.data["status"]) == (1, "task.created", "queued")
    message = async_to_sync(layer.receive)(settings.WORKER_CHANNEL)
    assert message == {"type": "task.run", "task_id": task.pk}


def test_no_wake_up_is_sent_before_the_task_is_committed(staff_user, layer):
    ticket = make_ticket()

    task_start_for_ticket(ticket=ticket, user=staff_user)  # the test transaction never commits

    assert not layer.channels.get(settings.WORKER_CHANNEL)


def test_starting_twice_returns_the_same_task(staff_user):
    ticket = make_ticket()

    first, created_first = task_start_for_ticket(ticket=ticket, user=staff_user)
    second, created_second = task_start_for_ticket(ticket=ticket, user=staff_user)

    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Task.objects.filter(ticket=ticket).count() == 1


def test_a_finished_task_does_not_block_a_new_start(staff_user):
    ticket = make_ticket()
    first, _ = task_start_for_ticket(ticket=ticket, user=staff_user)
    Task.objects.filter(pk=first.pk).update(status=Task.Status.COMPLETED)

    second, created = task_start_for_ticket(ticket=ticket, user=staff_user)

    assert created is True
    assert second.pk != first.pk


@pytest.mark.parametrize("status", [Ticket.Status.CLOSED, Ticket.Status.SOLVED])
def test_closed_or_solved_tickets_cannot_be_started(staff_user, status):
    ticket = make_ticket(status=status)

    with pytest.raises(ApplicationError) as error:
        task_start_for_ticket(ticket=ticket, user=staff_user)

    assert error.value.message == TICKET_NOT_WORKABLE
    assert error.value.extra["field"] == "ticket_number"
    assert not Task.objects.exists()


def test_free_text_task_has_no_ticket(staff_user):
    task = task_start_free_text(
        text="  Summarise refund policy changes\nfor the team  ", user=staff_user
    )

    assert task.ticket is None
    assert task.title == "Summarise refund policy changes"
    assert task.input == "Summarise refund policy changes\nfor the team"
    with pytest.raises(ApplicationError, match=FREE_TEXT_REQUIRED):
        task_start_free_text(text="   ", user=staff_user)


def test_bulk_start_reports_started_running_and_skipped(staff_user):
    fresh = make_ticket()
    busy = make_ticket()
    closed = make_ticket(status=Ticket.Status.CLOSED)
    already, _ = task_start_for_ticket(ticket=busy, user=staff_user)

    result = task_bulk_start(
        numbers=[fresh.number, busy.number, closed.number, 999999], user=staff_user
    )

    assert [t.ticket_id for t in result.started] == [fresh.pk]
    assert [t.pk for t in result.already_running] == [already.pk]
    assert result.skipped == [(closed.number, TICKET_NOT_WORKABLE), (999999, TICKET_MISSING)]
