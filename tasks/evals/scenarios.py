"""Evaluation scenarios: TOML files under ``evals/scenarios/``, each holding ``[[scenario]]``
tables. A scenario is the world a ticket lives in (customers, orders, extra articles, the
ticket and its thread), how the approver behaves, and the end state a correct agent leaves:

    [[scenario]]
    name = "billing-duplicate-charge"          # unique across files
    category = "billing"                       # a ticket category
    approver = "approve"                       # approve | reject | none
    approver_note = ""                         # the note of a rejection
    customers = [{ key = "jane", name = "Jane Doe", plan = "pro" }]
    orders = [
      { key = "first", customer = "jane", description = "Pro plan", amount = "29.00",
        days_ago = 5, kind = "subscription", period = "current" },
    ]
    ticket = { customer = "jane", subject = "...", body = "... {first.number} ..." }
    thread = [{ author = "customer", body = "...", hours_after = 2 }]
    [scenario.expect]
    refunds = [{ order = "second", amount = "29.00" }]   # exactly these, nothing else
    approvals = ["second"]                              # requests asked, by order
    ticket_status = ["pending", "solved"]               # any of
    assigned = false                                    # handed to a person or not
    escalated_to = "team_leads"                         # the escalation queue ("" for none)
    reply = true                                        # a reply to the customer, or none
    reply_must = ["refund"]                             # case-insensitive, all of
    reply_must_not = ["{other.number}"]                 # none of
    note = true                                         # an internal note (optional)

Text may name orders as ``{key.number}``, ``{key.amount}``, ``{key.charged}`` (a date) and
``{key.period}``. Grading reads only the database after the run (``tasks.evals.grading``):
nothing here reaches the agent but the world itself."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tasks.models import Ticket

APPROVER_ACTIONS = ("approve", "reject", "none")
ORDER_KINDS = ("one_off", "subscription")
ORDER_STATUSES = ("paid", "shipped", "delivered", "partially_refunded", "refunded", "cancelled")
PLANS = ("free", "pro", "business")
TICKET_STATUSES = tuple(value for value, _ in Ticket.Status.choices)
# Days and hours back a world may reach, and how often a body may repeat (a huge ticket, not a
# memory exhaustion).
MAX_DAYS = 3650
MAX_REPEAT = 2000


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with the file, scenario and field at fault."""


@dataclass(frozen=True)
class CustomerSpec:
    key: str
    name: str
    plan: str = "pro"
    email: str = ""


@dataclass(frozen=True)
class OrderSpec:
    key: str
    customer: str
    description: str
    amount: Decimal
    days_ago: float
    kind: str = "one_off"
    status: str = "delivered"
    refunded: Decimal = Decimal("0")
    # Subscriptions: "current" (the period charged days_ago) or another order's key (a
    # second charge for the same period).
    period: str = ""
    shipped_days_ago: float | None = None
    expected_days_ago: float | None = None
    delivered_days_ago: float | None = None
    number: str = ""


@dataclass(frozen=True)
class MessageSpec:
    author: str  # customer | staff
    body: str
    hours_after: float
    internal: bool = False


@dataclass(frozen=True)
class ArticleSpec:
    kind: str
    slug: str
    title: str
    body: str
    category: str = ""


@dataclass(frozen=True)
class Expectation:
    refunds: tuple[tuple[str, Decimal], ...] = ()
    approvals: tuple[str, ...] = ()
    ticket_status: tuple[str, ...] = ()
    assigned: bool | None = None
    # The escalation queue the ticket must end in ("" for none); None: not checked.
    escalated_to: str | None = None
    reply: bool | None = None
    reply_must: tuple[str, ...] = ()
    reply_must_not: tuple[str, ...] = ()
    note: bool | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    category: str
    source: str
    ticket_subject: str
    ticket_body: str
    ticket_customer: str | None
    priority: str = "normal"
    # The body written this many times (a huge ticket); 1: as written.
    body_repeat: int = 1
    approver: str = "approve"
    approver_note: str = ""
    customers: tuple[CustomerSpec, ...] = ()
    orders: tuple[OrderSpec, ...] = ()
    thread: tuple[MessageSpec, ...] = ()
    articles: tuple[ArticleSpec, ...] = ()
    expect: Expectation = field(default_factory=Expectation)
    tags: tuple[str, ...] = ()


class _Reader:
    """Reads one table with errors that say where."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(f"{where}: must be a table")
        self.data = data
        self.where = where

    def fail(self, key: str, problem: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {key} {problem}")

    def text(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if not isinstance(value, str):
            raise self.fail(key, "must be text")
        if choices and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def number(
        self, key: str, default: float | None = None, maximum: float = MAX_DAYS
    ) -> float | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(key, "must be a number, 0 or more")
        if value > maximum:
            raise self.fail(key, f"must be at most {maximum:g}")
        return float(value)

    def money(self, key: str, default: str | None = None) -> Decimal:
        raw = self.data.get(key, default)
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            raise self.fail(key, f'must be an amount such as "19.00", not {raw!r}') from None
        if not value.is_finite() or value < 0:
            raise self.fail(key, "must be an amount, 0 or more")
        return value.quantize(Decimal("0.01"))

    def bool(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of text")
        return tuple(value)

    def tables(self, key: str) -> list[_Reader]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of tables")
        return [_Reader(item, f"{self.where}, {key}[{i}]") for i, item in enumerate(value)]


def _scenario(data: Any, where: str) -> Scenario:
    r = _Reader(data, where)
    name = r.text("name")
    r.where = f"{where} ({name})"
    category = r.text("category", choices=tuple(v for v, _ in Ticket.Category.choices))
    customers = tuple(
        CustomerSpec(
            key=c.text("key"),
            name=c.text("name"),
            plan=c.text("plan", "pro", PLANS),
            email=c.text("email", ""),
        )
        for c in r.tables("customers")
    )
    customer_keys = {c.key for c in customers}
    orders = []
    for o in r.tables("orders"):
        owner = o.text("customer")
        if owner not in customer_keys:
            raise o.fail("customer", f"names no customer of this scenario: {owner!r}")
        orders.append(
            OrderSpec(
                key=o.text("key"),
                customer=owner,
                description=o.text("description"),
                amount=o.money("amount"),
                days_ago=o.number("days_ago") or 0.0,
                kind=o.text("kind", "one_off", ORDER_KINDS),
                status=o.text("status", "delivered", ORDER_STATUSES),
                refunded=o.money("refunded", "0"),
                period=o.text("period", ""),
                shipped_days_ago=o.number("shipped_days_ago"),
                expected_days_ago=o.number("expected_days_ago"),
                delivered_days_ago=o.number("delivered_days_ago"),
                number=o.text("number", ""),
            )
        )
    order_keys = {o.key for o in orders}
    ticket = _Reader(r.data.get("ticket"), f"{r.where}, ticket")
    ticket_customer = ticket.data.get("customer")
    if ticket_customer is not None and ticket_customer not in customer_keys:
        raise ticket.fail("customer", f"names no customer of this scenario: {ticket_customer!r}")
    thread = tuple(
        MessageSpec(
            author=m.text("author", "customer", ("customer", "staff")),
            body=m.text("body"),
            hours_after=m.number("hours_after", 1.0) or 0.0,
            internal=bool(m.bool("internal")),
        )
        for m in r.tables("thread")
    )
    articles = tuple(
        ArticleSpec(
            kind=a.text("kind", choices=("runbook", "policy", "document")),
            slug=a.text("slug"),
            title=a.text("title"),
            body=a.text("body"),
            category=a.text("category", ""),
        )
        for a in r.tables("articles")
    )
    e = _Reader(r.data.get("expect", {}), f"{r.where}, expect")
    refunds = []
    for refund in e.tables("refunds"):
        order = refund.text("order")
        if order not in order_keys:
            raise refund.fail("order", f"names no order of this scenario: {order!r}")
        refunds.append((order, refund.money("amount")))
    approvals = e.strings("approvals")
    for order in approvals:
        if order not in order_keys:
            raise e.fail("approvals", f"names no order of this scenario: {order!r}")
    statuses = e.strings("ticket_status")
    for status in statuses:
        if status not in TICKET_STATUSES:
            raise e.fail("ticket_status", f"must be among {', '.join(TICKET_STATUSES)}")
    return Scenario(
        name=name,
        category=category,
        source=where,
        ticket_subject=ticket.text("subject"),
        ticket_body=ticket.text("body", ""),
        ticket_customer=ticket_customer,
        priority=ticket.text("priority", "normal", ("low", "normal", "high", "urgent")),
        body_repeat=max(1, int(ticket.number("repeat", 1, maximum=MAX_REPEAT) or 1)),
        approver=r.text("approver", "approve", APPROVER_ACTIONS),
        approver_note=r.text("approver_note", ""),
        customers=customers,
        orders=tuple(orders),
        thread=thread,
        articles=articles,
        expect=Expectation(
            refunds=tuple(refunds),
            approvals=approvals,
            ticket_status=statuses,
            assigned=e.bool("assigned"),
            escalated_to=e.text("escalated_to") if "escalated_to" in e.data else None,
            reply=e.bool("reply"),
            reply_must=e.strings("reply_must"),
            reply_must_not=e.strings("reply_must_not"),
            note=e.bool("note"),
        ),
        tags=r.strings("tags"),
    )


def scenarios_load(directory: Path) -> list[Scenario]:
    """Every scenario of the ``*.toml`` files in ``directory``, by file then order in it.
    Raises ``ScenarioError`` for a file that does not parse, a scenario with a missing or
    wrong field, or two scenarios with one name."""
    found: list[Scenario] = []
    names: dict[str, str] = {}
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ScenarioError(f"{directory}: no scenario files (*.toml)")
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{path.name}: not valid TOML ({exc})") from None
        tables = data.get("scenario", [])
        if not isinstance(tables, list):
            raise ScenarioError(f"{path.name}: scenarios must be [[scenario]] tables")
        for index, table in enumerate(tables):
            scenario = _scenario(table, f"{path.name} scenario {index + 1}")
            if scenario.name in names:
                raise ScenarioError(
                    f"{scenario.source}: name {scenario.name!r} is also used in "
                    f"{names[scenario.name]}"
                )
            names[scenario.name] = scenario.source
            found.append(scenario)
    return found
