"""Plain factory functions for test data: explicit defaults, overridable by keyword."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from tasks.models import Ticket, TicketMessage
from tools_app.models import Article, Customer, Order

_seq = itertools.count(1)


def make_user(*, username: str | None = None, staff: bool = True, **kw: Any) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        username=username or f"user{n}",
        password=kw.pop("password", "pw"),
        is_staff=staff,
        **kw,
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
