"""The offline model running the real support agent and tools on factory data: it finds the
duplicate charge itself and pauses for approval, and it refuses a refund the policy forbids."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from agents import Runner
from asgiref.sync import sync_to_async
from django.utils import timezone

from tasks.agents.providers.offline import OfflineSupportModel
from tasks.agents.support import build_agent
from tasks.models import ApprovalRequest, Task, Ticket, TicketMessage, Todo
from tasks.runtime.runner import run_config
from tasks.runtime.worker import TaskWorker
from tasks.services.task_lifecycle import task_follow_up
from tasks.services.task_start import task_start_for_ticket
from tests.factories import (
    make_customer,
    make_order,
    make_refund_policy,
    make_ticket,
    make_user,
)
from tools_app.agent_tools.context import SupportContext
from tools_app.models import Refund

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _duplicate_charge_ticket() -> tuple[Task, dict[str, Any]]:
    make_refund_policy()
    customer = make_customer(name="Jane Doe")
    now = timezone.now()
    for number, days_ago, period in (
        ("ORD-301", 33, "2026-09"),
        ("ORD-302", 5, "2026-10"),
        ("ORD-303", 2, "2026-10"),
    ):
        make_order(
            customer=customer,
            number=number,
            kind="subscription",
            amount=Decimal("19.00"),
            description="Pro plan, monthly",
            billing_period=period,
            charged_at=now - timedelta(days=days_ago),
        )
    make_order(
        customer=customer,
        number="ORD-304",
        amount=Decimal("49.00"),
        charged_at=now - timedelta(days=1),
    )
    ticket = make_ticket(
        customer=customer,
        category=Ticket.Category.BILLING,
        subject="Charged twice",
        body="I was charged twice for my plan this month. Please fix it.",
    )
    task, _ = task_start_for_ticket(ticket=ticket, user=make_user())
    return task, {"ticket": ticket, "customer": customer}


def _outside_window_ticket() -> tuple[Task, dict[str, Any]]:
    make_refund_policy()
    customer = make_customer(name="Sofia Brandt")
    make_order(
        customer=customer,
        number="ORD-401",
        amount=Decimal("88.95"),
        description="Clarity webcam",
        charged_at=timezone.now() - timedelta(days=47),
    )
    ticket = make_ticket(
        customer=customer,
        category=Ticket.Category.REFUND,
        subject="refund webcam pls",
        body="The webcam from ORD-401 keeps disconnecting. I want my money back.",
    )
    task, _ = task_start_for_ticket(ticket=ticket, user=make_user())
    return task, {"ticket": ticket, "customer": customer}


def context(task: Task, ticket: Ticket) -> SupportContext:
    return SupportContext(task.pk, ticket.pk, ticket.customer_id, None)


async def test_duplicate_charge_run_finds_the_duplicate_and_pauses_for_approval() -> None:
    # given a customer with two charges for one period among other orders
    task, data = await sync_to_async(_duplicate_charge_ticket)()
    agent = build_agent(OfflineSupportModel(delay=0))
    # when
    result = await Runner.run(
        agent,
        task.input,
        context=context(task, data["ticket"]),
        run_config=run_config(),
        max_turns=20,
    )
    # then the run stops at the refund of the later charge, for a person to approve
    [pending] = result.interruptions
    assert pending.name == "issue_refund"
    arguments = pending.arguments
    assert arguments is not None
    assert '"order_number": "ORD-303"' in arguments and '"amount": "19.00"' in arguments
    assert await Refund.objects.acount() == 0
    todos = [t.status async for t in Todo.objects.filter(task=task).order_by("position")]
    assert todos == ["done", "done", "done", "in_progress", "pending", "pending"]


async def test_outside_window_run_refuses_replies_notes_and_sets_the_status() -> None:
    # given a refund request for an order charged 47 days ago (window: 30)
    task, data = await sync_to_async(_outside_window_ticket)()
    ticket = data["ticket"]
    agent = build_agent(OfflineSupportModel(delay=0))
    # when
    result = await Runner.run(
        agent, task.input, context=context(task, ticket), run_config=run_config(), max_turns=20
    )
    # then no refund, a reply, an internal note and the ticket solved
    assert result.interruptions == []
    assert await Refund.objects.acount() == 0
    written = [m async for m in TicketMessage.objects.filter(ticket=ticket, task=task)]
    reply = next(m for m in written if not m.is_internal)
    note = next(m for m in written if m.is_internal)
    assert "not able to refund" in reply.body and "ORD-401" in reply.body
    assert "outside the 30-day refund window" in note.body
    await ticket.arefresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    assert "no refund on ORD-401" in result.final_output
    todos = [t.status async for t in Todo.objects.filter(task=task).order_by("position")]
    assert todos == ["done", "done", "done", "skipped", "done", "done"]


async def test_the_worker_runs_the_offline_model_streamed_until_approval() -> None:
    # given the duplicate-charge ticket queued as a task
    task, _ = await sync_to_async(_duplicate_charge_ticket)()
    model = OfflineSupportModel(delay=0)
    worker = TaskWorker(model_factory=lambda: (model, "agentdesk-offline"), concurrency=2)
    # when the real worker runs it (Runner.run_streamed, events, approvals)
    worker.wake(task.pk)
    await worker.join()
    # then the task waits for a person to approve the duplicate's refund
    task = await Task.objects.aget(pk=task.pk)
    assert task.status == Task.Status.AWAITING_APPROVAL
    assert task.model == "agentdesk-offline"
    approval = await ApprovalRequest.objects.aget(task=task)
    assert approval.arguments["order_number"] == "ORD-303"
    types = [e.type async for e in task.events.order_by("seq")]
    assert "reasoning.completed" in types and "approval.requested" in types
    assert task.input_tokens > 0 and task.output_tokens > 0


async def test_a_follow_up_continues_the_finished_conversation() -> None:
    # given a finished outside-window task
    task, _ = await sync_to_async(_outside_window_ticket)()
    model = OfflineSupportModel(delay=0)
    worker = TaskWorker(model_factory=lambda: (model, "agentdesk-offline"), concurrency=2)
    worker.wake(task.pk)
    await worker.join()
    task = await Task.objects.aget(pk=task.pk)
    assert task.status == Task.Status.COMPLETED
    # when staff ask it to re-check the orders
    await sync_to_async(task_follow_up)(task=task, text="Please re-check her orders.")
    worker.wake(task.pk)
    await worker.join()
    # then it looked the orders up again and answered from them
    task = await Task.objects.aget(pk=task.pk)
    assert task.status == Task.Status.COMPLETED
    assert task.final_output.startswith("Re-checked Sofia Brandt's recent orders:")
    assert "ORD-401" in task.final_output
