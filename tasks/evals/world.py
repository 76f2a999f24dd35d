"""Builds a scenario's world in an empty database: two staff members (who starts the task, who
approves), the knowledge base the demo ships (runbooks, policies, documents) plus the
scenario's own articles, its customers, orders, the ticket and its thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.utils import timezone

from tasks.demo.seed import knowledge_base_create
from tasks.evals.scenarios import OrderSpec, Scenario
from tasks.models import Ticket, TicketMessage
from tasks.services.tickets import escalation_queues_ensure
from tools_app.models import Article, Customer, Order, Refund

FIRST_ORDER = 61_000
TICKET_NUMBER = 5001
APPROVERS_GROUP = "Approvers"


@dataclass
class World:
    scenario: Scenario
    ticket: Ticket
    orders: dict[str, Order]
    staff: User
    approver: User
    started_at: datetime


class _Facts(dict[str, Any]):
    """``{key.number}`` and friends; an unknown key is left as written (a body may use
    braces of its own)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _OrderFacts:
    def __init__(self, order: Order) -> None:
        self.number = order.number
        self.amount = f"{order.amount:.2f}"
        self.description = order.description
        self.charged = _day(order.charged_at)
        self.period = (
            datetime.strptime(order.billing_period, "%Y-%m").strftime("%B")
            if order.billing_period
            else ""
        )
        self.expected = _day(order.expected_delivery)
        self.delivered = _day(order.delivered_at)
        self.shipped = _day(order.shipped_at)


def _day(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{value:%b} {value.day}"


def _period(moment: datetime) -> str:
    return f"{moment.year}-{moment.month:02d}"


def world_reset() -> None:
    """Empties every table (a trial starts from nothing)."""
    call_command("flush", interactive=False, verbosity=0)


def _order(spec: OrderSpec, number: str, customer: Customer, periods: dict[str, str]) -> Order:
    now = timezone.now()
    charged = now - timedelta(days=spec.days_ago)
    period = ""
    if spec.kind == "subscription":
        period = periods.get(spec.period, _period(charged)) if spec.period else _period(charged)
    shipped = delivered = None
    expected = None
    if spec.shipped_days_ago is not None:
        shipped = now - timedelta(days=spec.shipped_days_ago)
    if spec.expected_days_ago is not None:
        expected = (now - timedelta(days=spec.expected_days_ago)).date()
    if spec.delivered_days_ago is not None:
        delivered = now - timedelta(days=spec.delivered_days_ago)
    if spec.status in ("shipped", "delivered") and shipped is None and spec.kind == "one_off":
        shipped = charged + timedelta(days=1)
    if spec.status == "delivered" and delivered is None and spec.kind == "one_off":
        delivered = charged + timedelta(days=3)
    return Order.objects.create(
        customer=customer,
        number=number,
        kind=spec.kind,
        description=spec.description,
        amount=spec.amount,
        status=spec.status,
        billing_period=period,
        charged_at=charged,
        shipped_at=shipped,
        expected_delivery=expected,
        delivered_at=delivered,
        refunded_amount=spec.refunded,
    )


def world_build(scenario: Scenario) -> World:
    """Creates the scenario's world (call on an empty database)."""
    now = timezone.now()
    staff = User.objects.create_user("eval-support", password=None, is_staff=True)
    # A support agent: may start refund work and write knowledge-base documents.
    staff.user_permissions.add(
        Permission.objects.get(codename="start_refund_work", content_type__app_label="tasks"),
        Permission.objects.get(codename="add_article", content_type__app_label="tools_app"),
    )
    approver = User.objects.create_user("eval-approver", password=None, is_staff=True)
    group, _ = Group.objects.get_or_create(name=APPROVERS_GROUP)
    group.permissions.add(Permission.objects.get(codename="decide_approvalrequest"))
    approver.groups.add(group)
    knowledge_base_create()
    escalation_queues_ensure()
    for extra in scenario.articles:
        Article.objects.update_or_create(
            slug=extra.slug,
            defaults={
                "kind": extra.kind,
                "title": extra.title,
                "body": extra.body,
                "category": extra.category,
            },
        )
    customers: dict[str, Customer] = {}
    for index, person in enumerate(scenario.customers):
        username = f"eval-{person.key}"
        customers[person.key] = Customer.objects.create(
            name=person.name,
            email=person.email or f"{person.key}{index}@example.com",
            username=username,
            plan=person.plan,
            created_at=now - timedelta(days=400),
        )
    orders: dict[str, Order] = {}
    periods: dict[str, str] = {}
    for index, spec in enumerate(scenario.orders):
        number = spec.number or f"ORD-{FIRST_ORDER + index}"
        order = _order(spec, number, customers[spec.customer], periods)
        periods[spec.key] = order.billing_period
        orders[spec.key] = order
        if order.refunded_amount:
            Refund.objects.create(
                order=order,
                amount=order.refunded_amount,
                reason="Refunded earlier",
                status=Refund.Status.EXECUTED,
                idempotency_key=f"eval-seed-{order.number}",
                executed_at=order.charged_at + timedelta(days=1),
            )
    facts = _Facts({key: _OrderFacts(order) for key, order in orders.items()})
    customer = customers.get(scenario.ticket_customer or "")
    created = now - timedelta(hours=max([2.0, *(m.hours_after + 1 for m in scenario.thread)]))
    ticket = Ticket.objects.create(
        number=TICKET_NUMBER,
        customer=customer,
        requester_email=customer.email if customer else "someone@example.com",
        subject=scenario.ticket_subject.format_map(facts)[:300],
        body="\n\n".join([scenario.ticket_body.format_map(facts)] * scenario.body_repeat),
        category=scenario.category,
        priority=scenario.priority,
        status=Ticket.Status.NEW,
        created_at=created,
    )
    TicketMessage.objects.create(
        ticket=ticket,
        author_kind=TicketMessage.AuthorKind.CUSTOMER,
        body=ticket.body,
        created_at=created,
    )
    for message in scenario.thread:
        by_customer = message.author == "customer"
        TicketMessage.objects.create(
            ticket=ticket,
            author_kind=(
                TicketMessage.AuthorKind.CUSTOMER if by_customer else TicketMessage.AuthorKind.STAFF
            ),
            author=None if by_customer else staff,
            body=message.body.format_map(facts),
            is_internal=message.internal,
            created_at=created + timedelta(hours=message.hours_after),
        )
    return World(scenario, ticket, orders, staff, approver, now)


def expected_text(world: World, text: str) -> str:
    """A scenario's expected text with its order facts filled in."""
    facts = _Facts({key: _OrderFacts(order) for key, order in world.orders.items()})
    return text.format_map(facts)
