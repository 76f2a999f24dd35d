"""Drafts the demo orders: monthly subscription charges, random one-off purchases and the orders
the tickets talk about, with shipping dates that follow from the status, and numbers in
charge order. Pure Python (no database), so it is deterministic and quick."""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from tasks.demo.data import (
    CUSTOMERS,
    FIRST_ORDER_NUMBER,
    PLAN_NAMES,
    PLAN_PRICES,
    PRODUCTS,
    SHIPPING_FEE,
)
from tasks.demo.specs import ChargeRef, OrderSpec, TicketSpec

# Customers with an open ticket (or an order a ticket names) get no random purchases newer than
# this, so the recent orders an agent sees are exactly the ones the ticket is about.
QUIET_DAYS = 60
MAX_HISTORY_DAYS = 300
SUBSCRIPTION_MONTHS = 8
REFUNDED_STATUSES = {"refunded", "partially_refunded"}
DELIVERED_STATUSES = {"delivered"} | REFUNDED_STATUSES
ORDER_SPEC_INVALID = "Demo order {key}: {problem}"


@dataclass
class OrderDraft:
    customer: str
    kind: str
    description: str
    amount: Decimal
    status: str
    charged_at: datetime
    billing_period: str = ""
    shipped_at: datetime | None = None
    expected_delivery: date | None = None
    delivered_at: datetime | None = None
    refunded_amount: Decimal = Decimal("0.00")
    key: str = ""
    number: str = ""


@dataclass(frozen=True)
class OrderFacts:
    """What a ticket text may say about an order, formatted the way a customer writes it."""

    number: str
    amount: str
    description: str
    charged: str
    period: str
    shipped: str
    expected: str
    delivered: str


def _day(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{value:%b} {value.day}"


def order_facts(draft: OrderDraft) -> OrderFacts:
    period = ""
    if draft.billing_period:
        period = datetime.strptime(draft.billing_period, "%Y-%m").strftime("%B")
    return OrderFacts(
        number=draft.number,
        amount=f"{draft.amount:.2f}",
        description=draft.description,
        charged=_day(draft.charged_at),
        period=period,
        shipped=_day(draft.shipped_at),
        expected=_day(draft.expected_delivery),
        delivered=_day(draft.delivered_at),
    )


def _months_back(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


def _period(moment: datetime) -> str:
    return f"{moment.year}-{moment.month:02d}"


def _plan_description(plan: str) -> str:
    return f"Deskwise {PLAN_NAMES[plan]} plan, monthly"


def _ship(draft: OrderDraft, *, spec: OrderSpec | None, now: datetime) -> None:
    """Fills the shipping dates a one-off order in ``draft.status`` must have."""
    if draft.status in {"paid", "cancelled"}:
        return
    draft.shipped_at = draft.charged_at + timedelta(days=1)
    if spec is not None and spec.expected_days_ago is not None:
        draft.expected_delivery = (now - timedelta(days=spec.expected_days_ago)).date()
    else:
        draft.expected_delivery = (draft.shipped_at + timedelta(days=4)).date()
    if spec is not None and spec.delivered_days_ago is not None:
        draft.delivered_at = now - timedelta(days=spec.delivered_days_ago)
    elif draft.status in DELIVERED_STATUSES:
        draft.delivered_at = draft.shipped_at + timedelta(days=3, hours=6)
    if draft.delivered_at is not None and draft.delivered_at > now:
        raise ValueError(ORDER_SPEC_INVALID.format(key=draft.key, problem="delivered in future"))


def _subscriptions(
    rng: random.Random, now: datetime, since: dict[str, datetime]
) -> tuple[list[OrderDraft], dict[tuple[str, int], OrderDraft]]:
    drafts: list[OrderDraft] = []
    by_month: dict[tuple[str, int], OrderDraft] = {}
    for customer in CUSTOMERS:
        # Drawn for every customer so one customer's data never shifts another's.
        days_ago = rng.uniform(0.5, 27.5)
        if customer.plan not in PLAN_PRICES:
            continue
        if customer.billing_days_ago is not None:
            days_ago = customer.billing_days_ago
        latest = now - timedelta(days=days_ago)
        for months in range(SUBSCRIPTION_MONTHS):
            charged_at = _months_back(latest, months)
            if charged_at < since[customer.username]:
                break
            draft = OrderDraft(
                customer=customer.username,
                kind="subscription",
                description=_plan_description(customer.plan),
                amount=Decimal(PLAN_PRICES[customer.plan]),
                status="paid",
                charged_at=charged_at,
                billing_period=_period(charged_at),
            )
            drafts.append(draft)
            by_month[(customer.username, months)] = draft
    return drafts, by_month


def _random_purchases(
    rng: random.Random, now: datetime, quiet: set[str], since: dict[str, datetime]
) -> list[OrderDraft]:
    drafts: list[OrderDraft] = []
    for customer in CUSTOMERS:
        count = rng.choice((1, 1, 2, 2, 3, 3, 4, 5))
        oldest = min(MAX_HISTORY_DAYS, (now - since[customer.username]).days)
        newest = QUIET_DAYS if customer.username in quiet else 1
        for _ in range(count):
            days_ago = rng.uniform(newest, max(newest, oldest))
            product, price = rng.choice(PRODUCTS)
            roll = rng.random()
            if days_ago > oldest:
                continue
            draft = OrderDraft(
                customer=customer.username,
                kind="one_off",
                description=product,
                amount=Decimal(price) + Decimal(SHIPPING_FEE),
                status="delivered",
                charged_at=now - timedelta(days=days_ago),
            )
            if roll < 0.04:
                draft.status = "cancelled"
            elif days_ago < 1.2:
                draft.status = "paid"
            elif (draft.charged_at + timedelta(days=5)).date() >= now.date():
                # Still before its expected delivery: in transit, never "late".
                draft.status = "shipped"
            elif roll < 0.10:
                draft.status, draft.refunded_amount = "refunded", draft.amount
            elif roll < 0.14:
                draft.status, draft.refunded_amount = "partially_refunded", Decimal(SHIPPING_FEE)
            _ship(draft, spec=None, now=now)
            drafts.append(draft)
    return drafts


def _from_spec(spec: OrderSpec, now: datetime, keyed: dict[str, OrderDraft]) -> OrderDraft:
    draft = OrderDraft(
        customer=spec.customer,
        kind=spec.kind,
        description=spec.description,
        amount=Decimal(spec.amount),
        status=spec.status,
        charged_at=now - timedelta(days=spec.days_ago),
        key=spec.key,
    )
    if spec.kind == "subscription":
        plan = next(c.plan for c in CUSTOMERS if c.username == spec.customer)
        draft.description = spec.description or _plan_description(plan)
        source = keyed.get(spec.same_period_as)
        draft.billing_period = source.billing_period if source else _period(draft.charged_at)
    else:
        _ship(draft, spec=spec, now=now)
    if spec.refunded:
        draft.refunded_amount = draft.amount if spec.refunded == "full" else Decimal(spec.refunded)
    return draft


def draft_orders(
    *,
    rng: random.Random,
    now: datetime,
    tickets: tuple[TicketSpec, ...],
    since: dict[str, datetime],
) -> tuple[list[OrderDraft], dict[str, OrderDraft]]:
    """Every demo order, numbered in charge order, and the ones tickets name, by key."""
    refs = [ref for ticket in tickets for ref in ticket.orders]
    open_tickets = (t for t in tickets if t.status in {"new", "open", "pending"})
    quiet = {ref.customer for ref in refs} | {t.customer for t in open_tickets if t.customer}
    drafts, by_month = _subscriptions(rng, now, since)
    drafts += _random_purchases(rng, now, quiet, since)
    keyed: dict[str, OrderDraft] = {}
    for ref in refs:
        if isinstance(ref, ChargeRef):
            keyed[ref.key] = by_month[(ref.customer, ref.months_back)]
            keyed[ref.key].key = ref.key
        else:
            keyed[ref.key] = _from_spec(ref, now, keyed)
            drafts.append(keyed[ref.key])
    drafts.sort(key=lambda d: d.charged_at)
    number = FIRST_ORDER_NUMBER
    for draft in drafts:
        number += rng.randint(1, 7)
        draft.number = f"ORD-{number}"
    return drafts, keyed
