"""Each finished task gets an outcome from what its runs did, set by the finishing write: a
refund paid, a refund refused, the ticket handed to a person, a reply, or nothing a customer
saw; failed and cancelled tasks say so. The dashboard shows it instead of "Done"."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from tasks.dashboard_selectors import dashboard_task_seqs
from tasks.models import Task, TicketChange
from tasks.services.task_lifecycle import task_cancel
from tests.factories import make_task
from tests.tasks.approval_helpers import decide, refund_call, refund_turn, world
from tests.tasks.task_helpers import ScriptedModel, call, final, run_task, turn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

Outcome = Task.Outcome


async def test_a_paid_refund_is_refunded():
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    await decide(w, "r1")
    task = await run_task(task, [final("Refunded.")])
    assert (task.status, task.outcome) == (Task.Status.COMPLETED, Outcome.REFUNDED)


async def test_a_refused_refund_is_refused():
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    await decide(w, "r1", approve=False, note="Not a duplicate")
    task = await run_task(task, [final("Told the customer.")])
    assert task.outcome == Outcome.REFUSED


async def test_a_reply_is_resolved():
    w = await world()
    task = await run_task(
        w.task, [turn(call("reply_to_customer", {"body": "Fixed."}, id="a")), final("Done.")]
    )
    assert task.outcome == Outcome.RESOLVED


async def test_a_note_alone_needs_a_person():
    w = await world()
    task = await run_task(
        w.task,
        [turn(call("add_internal_note", {"body": "Cannot verify."}, id="b")), final("Left.")],
    )
    assert task.outcome == Outcome.NEEDS_PERSON


async def test_handing_the_ticket_to_a_person_is_escalated():
    w = await world()

    def reassign() -> None:
        TicketChange.objects.create(
            ticket=w.task.ticket, field=TicketChange.Field.ASSIGNEE, new_value="lead", task=w.task
        )

    await sync_to_async(reassign)()
    task = await run_task(w.task, [final("Handed over.")])
    assert task.outcome == Outcome.ESCALATED


async def test_a_failed_run_is_failed():
    w = await world()
    task = await run_task(w.task, ScriptedModel([]))  # nothing scripted: the run fails
    assert (task.status, task.outcome) == (Task.Status.FAILED, Outcome.FAILED)


async def test_a_cancelled_task_is_cancelled():
    w = await world()
    task = await sync_to_async(task_cancel)(task=w.task)
    assert (task.status, task.outcome) == (Task.Status.CANCELLED, Outcome.CANCELLED)


async def test_the_dashboard_shows_the_outcome_not_done(async_client, staff_user):
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    await decide(w, "r1")
    await run_task(task, [final("Refunded.")])
    await sync_to_async(async_client.force_login)(staff_user)

    html = (await async_client.get(reverse("tasks:dashboard"))).content.decode()

    assert 'data-task-outcome="refunded" title="Completed">Refunded</span>' in html
    assert "Refund paid" in html and ">Done<" not in html


async def test_the_dashboard_socket_follows_every_finished_task_on_the_board():
    def old_finished() -> Task:
        from datetime import timedelta

        from django.utils import timezone

        return make_task(
            status=Task.Status.COMPLETED, finished_at=timezone.now() - timedelta(days=3)
        )

    task = await sync_to_async(old_finished)()
    # finished three days ago, still on the board: a Retry of it shows live
    assert task.pk in await sync_to_async(dashboard_task_seqs)()
