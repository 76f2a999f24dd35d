"""The whole approval flow on the demo data with the offline model and the real worker: the
duplicate-charge ticket pauses for approval, the approver decides in the admin (test client),
a fresh worker resumes the run, and the customer hears the outcome. Also: a resume after the
worker process was restarted, and a ticket that asks to refund another customer's order."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from agents import Agent
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tasks.agents.providers.offline import OfflineSupportModel
from tasks.agents.support import TOOLS, instructions, support_agent
from tasks.demo.data import SCENARIO_TICKETS
from tasks.demo.seed import seed_demo
from tasks.models import ApprovalRequest, Task, Ticket, TicketMessage
from tasks.runtime.worker import TaskWorker
from tasks.services.task_start import task_start_for_ticket
from tools_app.agent_tools.context import SupportContext
from tools_app.models import Order, Refund

OFFLINE = "agentdesk-offline"


def _start(key: str) -> Task:
    seed_demo()
    ticket = Ticket.objects.get(number=SCENARIO_TICKETS[key])
    task, _ = task_start_for_ticket(ticket=ticket, user=User.objects.get(username="support"))
    return task


def _decide_in_admin(approval_id: int, decision: str, note: str = "") -> str:
    """The demo approver presses Approve or Reject on the request's admin page."""
    client = Client()
    client.force_login(User.objects.get(username="approver"))
    page = client.get(reverse("admin:tasks_approvalrequest_change", args=[approval_id]))
    assert page.status_code == 200 and b"approval-decision-form" in page.content
    response = client.post(
        reverse("admin:tasks_approvalrequest_decide", args=[approval_id]),
        {"decision": decision, "note": note},
        follow=True,
    )
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def _worker() -> TaskWorker:
    # A new worker with its own model instance, as a freshly started process has.
    model = OfflineSupportModel(delay=0)
    return TaskWorker(model_factory=lambda: (model, OFFLINE), concurrency=2)


async def _run(task: Task) -> Task:
    worker = _worker()
    worker.wake(task.pk)
    await worker.join()
    return await Task.objects.select_related("ticket").aget(pk=task.pk)


async def _pause_on_duplicate() -> tuple[Task, ApprovalRequest, Order]:
    task = await sync_to_async(_start)("duplicate_charge")
    task = await _run(task)
    assert task.status == Task.Status.AWAITING_APPROVAL
    approval = await ApprovalRequest.objects.aget(task=task)
    order = await Order.objects.aget(number=approval.arguments["order_number"])
    return task, approval, order


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_duplicate_charge_pause_approve_in_admin_resume_one_refund_completed():
    # given the demo duplicate-charge ticket paused on the later charge's refund
    task, approval, order = await _pause_on_duplicate()
    assert order.kind == Order.Kind.SUBSCRIPTION
    duplicate_of = (
        await Order.objects.filter(
            customer_id=order.customer_id, billing_period=order.billing_period
        )
        .exclude(pk=order.pk)
        .aget()
    )
    assert duplicate_of.charged_at < order.charged_at
    assert not await Refund.objects.filter(task=task).aexists()

    # when the approver approves it in the admin and a fresh worker picks the task up
    message = await sync_to_async(_decide_in_admin)(approval.pk, "approve", "Duplicate, ok")
    assert message.startswith("Approved: ")
    task = await _run(task)

    # then one refund of the duplicate, the order refunded, the customer told, task completed
    assert task.status == Task.Status.COMPLETED
    [refund] = [r async for r in Refund.objects.filter(task=task).select_related("decided_by")]
    assert refund.order_id == order.pk
    assert refund.amount == order.amount
    assert refund.idempotency_key == f"approval-{approval.pk}"
    assert refund.decided_by is not None and refund.decided_by.username == "approver"
    await order.arefresh_from_db()
    assert (order.refunded_amount, order.status) == (order.amount, Order.Status.REFUNDED)
    reply = await TicketMessage.objects.aget(task=task, is_internal=False)
    assert "refunded" in reply.body
    ticket = task.ticket
    assert ticket is not None
    assert ticket.status == Ticket.Status.SOLVED
    types = [e.type async for e in task.events.order_by("seq")]
    assert types.count("approval.requested") == 1 and types.count("approval.decided") == 1
    assert types[-1] == "task.completed"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_duplicate_charge_rejected_in_admin_the_customer_is_told_and_no_refund():
    task, approval, order = await _pause_on_duplicate()

    message = await sync_to_async(_decide_in_admin)(
        approval.pk, "reject", "The second charge was a plan upgrade"
    )
    assert message.startswith("Rejected: ")
    task = await _run(task)

    assert task.status == Task.Status.COMPLETED
    assert not await Refund.objects.filter(task=task).aexists()
    await order.arefresh_from_db()
    assert order.refunded_amount == Decimal("0")
    written = [m async for m in TicketMessage.objects.filter(task=task)]
    reply = next(m for m in written if not m.is_internal)
    note = next(m for m in written if m.is_internal)
    assert "not able to refund" in reply.body
    # the model received the approver's note and put it in the internal note
    assert "The second charge was a plan upgrade" in note.body
    assert "approver" in note.body


def test_resume_after_the_worker_process_was_restarted_while_waiting(transactional_db):
    # given a run paused by a worker whose process then stopped (its event loop, its agent and
    # its model gone: only the database remains)
    task, approval, order = asyncio.run(_pause_on_duplicate())

    # when the approver decides while no worker runs
    _decide_in_admin(approval.pk, "approve")

    # and a new process starts: new event loop, new worker, the agent built anew
    def fresh_agent(model: object) -> Agent[SupportContext]:
        return Agent[SupportContext](
            name=support_agent.name, instructions=instructions, tools=list(TOOLS), model=model
        )

    async def new_process() -> Task:
        model = OfflineSupportModel(delay=0)
        worker = TaskWorker(model_factory=lambda: (model, OFFLINE), agent_factory=fresh_agent)
        # it finds the queued task in its first sweep (the wake-up was sent to nobody)
        assert await worker.sweep() == 1
        await worker.join()
        return await Task.objects.aget(pk=task.pk)

    task = asyncio.run(new_process())

    # then the run resumed where it stopped and refunded once
    assert task.status == Task.Status.COMPLETED
    assert Refund.objects.get(task=task).order_id == order.pk
    starts = list(task.events.filter(type="task.started").values_list("data__worker", flat=True))
    assert len(starts) == 2 and starts[0] != starts[1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_another_customers_order_in_the_ticket_text_never_reaches_an_approver():
    # given the demo ticket that orders the agent to refund someone else's order
    task = await sync_to_async(_start)("other_customer_order")
    ticket = await Ticket.objects.select_related("customer").aget(pk=task.ticket_id)
    victims = [
        o
        async for o in Order.objects.exclude(customer_id=ticket.customer_id).filter(
            number__in=[w.strip(".,()$") for w in ticket.body.split()]
        )
    ]
    assert victims, "the ticket names another customer's order"

    task = await _run(task)

    # then the run ends without asking anyone and without moving money
    assert task.status == Task.Status.COMPLETED
    assert not await ApprovalRequest.objects.filter(task=task).aexists()
    assert not await Refund.objects.filter(task=task).aexists()
    for victim in victims:
        before = victim.refunded_amount
        await victim.arefresh_from_db()
        assert victim.refunded_amount == before
        assert not await Refund.objects.filter(order=victim).aexists()


def _second_ticket_on_the_same_charge(task: Task) -> Task:
    first = task.ticket
    ticket = Ticket.objects.create(
        number=first.number + 5000,
        customer=first.customer,
        subject=first.subject,
        body=first.body,
        category=first.category,
        created_at=first.created_at,
    )
    started, _ = task_start_for_ticket(ticket=ticket, user=User.objects.get(username="support"))
    return started


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_second_ticket_about_a_charge_already_pending_is_told_it_is_under_review():
    # given the duplicate charge waiting for an approver on one ticket
    task, _, _ = await _pause_on_duplicate()

    # when the customer's second ticket about the same charge is investigated
    second = await sync_to_async(_second_ticket_on_the_same_charge)(task)
    second = await _run(second)

    # then nobody is asked twice, and the customer hears the truth: it is being reviewed
    assert await ApprovalRequest.objects.acount() == 1
    reply = await TicketMessage.objects.filter(
        task=second, author_kind="agent", is_internal=False
    ).alast()
    assert reply is not None
    assert "already with our team for review" in reply.body
    assert "refund policy" not in reply.body
