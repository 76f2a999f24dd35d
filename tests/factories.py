"""Plain factory functions for test data: explicit defaults, overridable by keyword."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from tasks.models import ApiToken, ApprovalRequest, Task, TaskEvent, Ticket, TicketMessage, Todo
from tasks.services.approval_actions import Action
from tools_app.models import Article, Customer, Order, Refund

_seq = itertools.count(1)


# What a support agent may start: refund work and knowledge-base writing (the demo's support
# group has both; tasks.agents.tools.access.task_disabled_tools).
SUPPORT_AGENT_PERMISSIONS = (("tasks", "start_refund_work"), ("tools_app", "add_article"))


def make_user(
    *, username: str | None = None, staff: bool = True, agent_permissions: bool = True, **kw: Any
) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        username=username or f"user{n}",
        password=kw.pop("password", "pw"),
        is_staff=staff,
        **kw,
    )
    if staff and agent_permissions:
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=[app for app, _ in SUPPORT_AGENT_PERMISSIONS],
                codename__in=[codename for _, codename in SUPPORT_AGENT_PERMISSIONS],
            )
        )
    return user


def make_approver(**kw: Any) -> User:
    user = make_user(**kw)
    group, _ = Group.objects.get_or_create(name="Approvers")
    group.permissions.add(Permission.objects.get(codename="decide_approvalrequest"))
    user.groups.add(group)
    return user


def make_customer(**kw: Any) -> Customer:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "name": f"Customer {n}",
        "email": f"customer{n}@example.com",
        "username": f"customer{n}",
        "plan": Customer.Plan.PRO,
        "created_at": timezone.now() - timedelta(days=400),
    }
    return Customer.objects.create(**{**defaults, **kw})


def make_order(*, customer: Customer | None = None, **kw: Any) -> Order:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "number": f"ORD-{10000 + n}",
        "description": "Widget",
        "amount": Decimal("49.00"),
        "charged_at": timezone.now() - timedelta(days=3),
        "status": Order.Status.PAID,
    }
    return Order.objects.create(customer=customer or make_customer(), **{**defaults, **kw})


def make_ticket(*, customer: Customer | None = None, **kw: Any) -> Ticket:
    n = next(_seq)
    customer = customer if customer is not None else make_customer()
    defaults: dict[str, Any] = {
        "number": 5000 + n,
        "subject": f"Help needed {n}",
        "body": "Something went wrong with my order.",
        "category": Ticket.Category.OTHER,
        "created_at": timezone.now() - timedelta(hours=2),
        "requester_email": customer.email if customer else "someone@example.com",
    }
    ticket = Ticket.objects.create(customer=customer, **{**defaults, **kw})
    TicketMessage.objects.create(
        ticket=ticket,
        author_kind=TicketMessage.AuthorKind.CUSTOMER,
        body=ticket.body,
        created_at=ticket.created_at,
    )
    return ticket


def make_refund_policy(**rules: Any) -> Article:
    base = {
        "refund_window_days": 30,
        "max_refund_amount": "200.00",
        "refundable_statuses": ["paid", "shipped", "delivered", "partially_refunded"],
    }
    return Article.objects.create(
        kind=Article.Kind.POLICY,
        slug="refund-policy",
        title="Refund policy",
        body="Refunds within 30 days, up to $200 without a manager.",
        rules={**base, **rules},
    )


# --- API tokens, agent work and approvals (appended by the API/admin work) ----------------


def make_api_token(*, user: User | None = None, name: str = "test") -> tuple[ApiToken, str]:
    """A token and its raw key for ``user`` (a new staff user by default)."""
    from tasks.services.api_tokens import api_token_create

    return api_token_create(user=user or make_user(), name=name)


def make_task(*, ticket: Ticket | None = None, **kw: Any) -> Task:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "title": f"Investigate ticket {n}",
        "input": "Please look into this.",
        "model": "agentdesk-offline",
        "status": Task.Status.COMPLETED,
    }
    return Task.objects.create(ticket=ticket, **{**defaults, **kw})


def make_todo(*, task: Task | None = None, **kw: Any) -> Todo:
    task = task or make_task()
    position = kw.pop("position", task.todos.count() + 1)
    defaults: dict[str, Any] = {"text": f"Step {position}", "status": Todo.Status.PENDING}
    return Todo.objects.create(task=task, position=position, **{**defaults, **kw})


def make_task_event(*, task: Task | None = None, **kw: Any) -> TaskEvent:
    task = task or make_task()
    seq = kw.pop("seq", task.events.count() + 1)
    defaults: dict[str, Any] = {"type": "task.created", "data": {"title": task.title}}
    return TaskEvent.objects.create(task=task, seq=seq, **{**defaults, **kw})


def make_approval(
    *, task: Task | None = None, order: Order | None = None, **kw: Any
) -> ApprovalRequest:
    """A refund approval request for ``order`` (one is made for the task's customer)."""
    task = task or make_task(status=Task.Status.AWAITING_APPROVAL)
    if order is None:
        customer = task.ticket.customer if task.ticket and task.ticket.customer else None
        order = make_order(customer=customer)
    n = next(_seq)
    arguments = kw.pop(
        "arguments", {"order_number": order.number, "amount": "20.00", "reason": "Duplicate"}
    )
    action = approval_action(task=task, arguments=arguments, run_number=kw.get("run_number", 1))
    defaults: dict[str, Any] = {
        "tool_name": "issue_refund",
        "call_id": f"call_{n}",
        "arguments": arguments,
        "action": action.as_dict(),
        "digest": action.digest,
        "subject": f"order:{order.pk}",
        "summary": f"Refund 20.00 USD on {order.number}",
        "reason": "The customer was charged twice.",
    }
    return ApprovalRequest.objects.create(task=task, **{**defaults, **kw})


def approval_action(*, task: Task, arguments: dict[str, Any], run_number: int = 1) -> Action:
    """The action a refund call with ``arguments`` takes in ``task`` (canonical, as the tool
    derives it)."""
    amount = Decimal(str(arguments.get("amount", "0"))).quantize(Decimal("0.01"))
    canonical = {
        "order_number": str(arguments.get("order_number", "")),
        "amount": f"{amount}",
        "reason": " ".join(str(arguments.get("reason", "")).split()),
    }
    return Action("issue_refund", canonical, task.pk, run_number)


def make_refund(*, order: Order | None = None, **kw: Any) -> Refund:
    order = order or make_order()
    n = next(_seq)
    defaults: dict[str, Any] = {
        "amount": Decimal("10.00"),
        "reason": "Damaged on arrival",
        "idempotency_key": f"refund-{n}",
        "executed_at": timezone.now(),
    }
    return Refund.objects.create(order=order, **{**defaults, **kw})
