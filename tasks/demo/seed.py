"""The demo seed: staff logins, customers, orders and refunds, tickets with their threads, and the
knowledge base. Idempotent (a database with customers or tickets is left alone, only missing
demo logins are added) and deterministic (fixed random seed, ages relative to ``now``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from tasks.demo.articles import ARTICLES
from tasks.demo.data import CUSTOMERS, FIRST_TICKET_NUMBER, RANDOM_SEED, STAFF
from tasks.demo.orders import OrderDraft, draft_orders, order_facts
from tasks.demo.specs import CUSTOMER, TicketSpec
from tasks.demo.tickets_history import HISTORY
from tasks.demo.tickets_orders import ORDER_TICKETS
from tasks.demo.tickets_product import PRODUCT_TICKETS
from tasks.demo.tickets_scenarios import SCENARIOS
from tasks.models import AutonomyPolicy, EscalationQueue, Ticket, TicketMessage
from tasks.services.autonomy import policy_save
from tasks.services.groups import (
    APPROVERS_GROUP,
    SUPPORT_GROUP,
    approvers_group_ensure,
    support_group_ensure,
)
from tasks.services.tickets import escalation_queues_ensure
from tools_app.models import Article, Customer, Order, Refund

# Open tickets first so the scenarios get the numbers in SCENARIO_TICKETS.
TICKETS: tuple[TicketSpec, ...] = SCENARIOS + ORDER_TICKETS + PRODUCT_TICKETS + HISTORY
STAFF_EMAIL_DOMAIN = "deskwise.example"
REFUND_REASONS = {
    "refunded": "Returned within the refund window.",
    "partially_refunded": "Goodwill partial refund.",
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


@dataclass(frozen=True)
class SeedResult:
    created: bool
    customers: int
    orders: int
    tickets: int
    open_tickets: int
    articles: int
    logins: tuple[DemoLogin, ...]


def demo_data_present() -> bool:
    """Any customer or ticket means the database is in use: the seed never adds to it."""
    return Customer.objects.exists() or Ticket.objects.exists()


def demo_logins() -> tuple[DemoLogin, ...]:
    return tuple(DemoLogin(s.username, s.password, s.role) for s in STAFF if s.password)


@transaction.atomic
def seed_demo(*, now: datetime | None = None) -> SeedResult:
    """Seeds the demo data into an empty database and makes sure the demo logins exist.

    ``now`` anchors every date (default: the current time), so a test can seed a known moment.
    A second call changes nothing and returns ``created=False``."""
    now = now or timezone.now()
    groups = {SUPPORT_GROUP: support_group_ensure(), APPROVERS_GROUP: approvers_group_ensure()}
    staff = _staff_ensure(groups)
    created = not demo_data_present()
    if created:
        _seed(now=now, staff=staff)
    return SeedResult(
        created=created,
        customers=Customer.objects.count(),
        orders=Order.objects.count(),
        tickets=Ticket.objects.count(),
        open_tickets=Ticket.objects.filter(status__in=Ticket.ACTIVE_STATUSES).count(),
        articles=Article.objects.count(),
        logins=demo_logins(),
    )


def _staff_ensure(groups: dict[str, Group]) -> dict[str, User]:
    """Creates the missing demo staff. Existing accounts are left exactly as they are, so a
    changed password or group survives a re-seed."""
    existing = {
        u.username: u for u in User.objects.filter(username__in=[s.username for s in STAFF])
    }
    users: dict[str, User] = {}
    for spec in STAFF:
        user = existing.get(spec.username)
        if user is None:
            user = User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@{STAFF_EMAIL_DOMAIN}",
                is_staff=True,
                is_superuser=spec.superuser,
            )
            if spec.password:
                user.set_password(spec.password)
            else:
                user.set_unusable_password()
            user.save()
            user.groups.add(*(groups[name] for name in spec.groups))
        users[spec.username] = user
    return users


DEMO_POLICY = "Duplicate subscription charges up to $30"
DEMO_QUEUE_ASSIGNEES = {"team_leads": "approver", "billing": "maria", "technical": "tom"}


def _seed(*, now: datetime, staff: dict[str, User]) -> None:
    rng = random.Random(RANDOM_SEED)
    since = {
        c.username: now - timedelta(days=c.since_days, hours=rng.randint(0, 23)) for c in CUSTOMERS
    }
    Customer.objects.bulk_create(
        Customer(
            name=c.name,
            email=c.email,
            username=c.username,
            plan=c.plan,
            created_at=since[c.username],
        )
        for c in CUSTOMERS
    )
    customers = {c.username: c for c in Customer.objects.all()}
    drafts, keyed = draft_orders(rng=rng, now=now, tickets=TICKETS, since=since)
    _orders_create(drafts, customers)
    _tickets_create(now=now, customers=customers, staff=staff, keyed=keyed)
    knowledge_base_create()
    escalation_queues_ensure()
    # Who each queue's escalations go to in the demo (staff change it in the admin).
    for slug, username in DEMO_QUEUE_ASSIGNEES.items():
        EscalationQueue.objects.filter(slug=slug, assignee__isnull=True).update(
            assignee=staff[username]
        )
    # An autonomy policy the admin wrote: it applies once a second approver (approver)
    # approves it in the admin; until then every refund waits for a person.
    if not AutonomyPolicy.objects.filter(name=DEMO_POLICY).exists():
        policy_save(
            policy=AutonomyPolicy(
                name=DEMO_POLICY,
                action_class=AutonomyPolicy.ActionClass.DUPLICATE_SUBSCRIPTION_REFUND,
                max_amount=Decimal("30.00"),
                categories=["billing"],
                enabled=True,
            ),
            user=staff["admin"],
        )


def knowledge_base_create() -> None:
    """The demo's knowledge base: a runbook per category, the policies, internal documents
    (also every evaluation trial's, tasks.evals.world)."""
    Article.objects.bulk_create(
        Article(
            kind=a.kind,
            slug=a.slug,
            title=a.title,
            body=a.body,
            category=a.category,
            rules=a.rules or {},
        )
        for a in ARTICLES
    )


def _orders_create(drafts: list[OrderDraft], customers: dict[str, Customer]) -> None:
    Order.objects.bulk_create(
        Order(
            customer=customers[d.customer],
            number=d.number,
            kind=d.kind,
            description=d.description,
            amount=d.amount,
            status=d.status,
            billing_period=d.billing_period,
            charged_at=d.charged_at,
            shipped_at=d.shipped_at,
            expected_delivery=d.expected_delivery,
            delivered_at=d.delivered_at,
            refunded_amount=d.refunded_amount,
        )
        for d in drafts
    )
    # Refunded orders carry the refund that moved the money, as the refund service would.
    refunded = {d.number: d for d in drafts if d.refunded_amount}
    orders = Order.objects.filter(number__in=refunded)
    Refund.objects.bulk_create(
        Refund(
            order=order,
            amount=order.refunded_amount,
            reason=REFUND_REASONS.get(order.status, "Refund"),
            status=Refund.Status.EXECUTED,
            idempotency_key=f"demo-seed-{order.number}",
            executed_at=(order.delivered_at or order.charged_at) + timedelta(days=2),
        )
        for order in orders
    )


def _tickets_create(
    *,
    now: datetime,
    customers: dict[str, Customer],
    staff: dict[str, User],
    keyed: dict[str, OrderDraft],
) -> None:
    facts = {key: order_facts(draft) for key, draft in keyed.items()}
    tickets: list[Ticket] = []
    for offset, spec in enumerate(TICKETS):
        customer = customers[spec.customer] if spec.customer else None
        tickets.append(
            Ticket(
                number=FIRST_TICKET_NUMBER + offset,
                customer=customer,
                requester_email=spec.requester_email or (customer.email if customer else ""),
                subject=spec.subject.format_map(facts),
                body=spec.body.format_map(facts),
                category=spec.category,
                priority=spec.priority,
                status=spec.status,
                assignee=staff[spec.assignee] if spec.assignee else None,
                created_at=now - timedelta(hours=spec.hours_ago),
            )
        )
    Ticket.objects.bulk_create(tickets)
    by_number = {t.number: t for t in Ticket.objects.all()}
    messages: list[TicketMessage] = []
    for ticket, spec in zip(tickets, TICKETS, strict=True):
        saved = by_number[ticket.number]
        messages.append(
            TicketMessage(
                ticket=saved,
                author_kind=TicketMessage.AuthorKind.CUSTOMER,
                body=saved.body,
                created_at=saved.created_at,
            )
        )
        for message in spec.thread:
            by_customer = message.author == CUSTOMER
            messages.append(
                TicketMessage(
                    ticket=saved,
                    author_kind=(
                        TicketMessage.AuthorKind.CUSTOMER
                        if by_customer
                        else TicketMessage.AuthorKind.STAFF
                    ),
                    author=None if by_customer else staff[message.author],
                    body=message.body.format_map(facts),
                    is_internal=message.internal,
                    created_at=saved.created_at + timedelta(hours=message.hours_after),
                )
            )
    TicketMessage.objects.bulk_create(messages)
