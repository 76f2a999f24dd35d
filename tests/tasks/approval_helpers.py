"""Helpers for approval tests: a ticket whose task pauses on scripted refund calls, decisions
by an approver, and resumes on fresh workers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from tasks.models import ApprovalRequest, Task, Ticket
from tasks.services.approvals import approval_decide
from tasks.services.task_start import task_start_for_ticket
from tests.factories import (
    make_approver,
    make_customer,
    make_order,
    make_refund_policy,
    make_ticket,
    make_user,
)
from tests.tasks.task_helpers import call, turn
from tools_app.models import Customer, Order

REASON = "duplicate October charge"


@dataclass
class World:
    task: Task
    customer: Customer
    orders: dict[str, Order]
    approver: User


def _world(body: str) -> World:
    make_refund_policy()
    customer = make_customer(name="Jane Doe")
    other = make_customer(name="Rachel Other")
    orders = {
        "ORD-1": make_order(customer=customer, number="ORD-1", amount=Decimal("19.00")),
        "ORD-2": make_order(customer=customer, number="ORD-2", amount=Decimal("19.00")),
        "ORD-9": make_order(customer=other, number="ORD-9", amount=Decimal("138.95")),
    }
    ticket = make_ticket(
        customer=customer, subject="Charged twice", body=body, category=Ticket.Category.BILLING
    )
    task, _ = task_start_for_ticket(ticket=ticket, user=make_user())
    return World(task=task, customer=customer, orders=orders, approver=make_approver())


async def world(body: str = "I was charged twice this month.") -> World:
    return await sync_to_async(_world)(body)


def refund_call(order_number: str, *, id: str, amount: str = "19.00") -> Any:
    arguments = {"order_number": order_number, "amount": amount, "reason": REASON}
    return call("issue_refund", arguments, id=id)


def refund_turn(*calls: Any) -> Any:
    return turn(*calls, input_tokens=100, output_tokens=10)


def _decide(task_id: int, call_id: str, user: User, approve: bool, note: str) -> ApprovalRequest:
    # The newest request of that call id (ids repeat across runs; each pause asks anew).
    approval = ApprovalRequest.objects.filter(task_id=task_id, call_id=call_id).latest(
        "created_at", "pk"
    )
    return approval_decide(approval_id=approval.pk, user=user, approve=approve, note=note)


async def decide(
    w: World, call_id: str, *, approve: bool = True, note: str = "", user: User | None = None
) -> ApprovalRequest:
    return await sync_to_async(_decide)(w.task.pk, call_id, user or w.approver, approve, note)


def tool_outputs(model_call: Any) -> dict[str, str]:
    """call_id -> raw output of the tool results the model was sent."""
    return {
        item["call_id"]: item["output"]
        for item in model_call.input
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    }


def parsed(output: str) -> Any:
    try:
        return json.loads(output)
    except ValueError:
        return output


async def seqs(task: Task) -> list[int]:
    return [e.seq async for e in task.events.order_by("seq")]
