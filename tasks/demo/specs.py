"""The shapes of the demo data. Plain frozen dataclasses so the data modules read like tables.

Ages are given relative to the moment of seeding ("days ago", "hours ago"), so the demo always
looks current and the ticket texts, formatted from the orders they mention, agree with them."""

from __future__ import annotations

from dataclasses import dataclass

CUSTOMER = "customer"


@dataclass(frozen=True)
class CustomerSpec:
    username: str
    name: str
    email: str
    plan: str
    since_days: int
    # Days since the latest monthly subscription charge; None lets the seeded generator pick.
    billing_days_ago: float | None = None


@dataclass(frozen=True)
class StaffSpec:
    username: str
    first_name: str
    last_name: str
    # Empty: the account cannot log in (it only exists to own assigned tickets).
    password: str = ""
    role: str = ""
    superuser: bool = False
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderSpec:
    """An order a ticket talks about, placed at a fixed age so the text and the facts agree.

    One-off orders ship a day after the charge and are expected four days after shipping unless
    ``expected_days_ago``/``delivered_days_ago`` say otherwise. ``refunded`` is "" (nothing),
    "full" or an amount."""

    key: str
    customer: str
    description: str
    amount: str
    days_ago: float
    status: str = "delivered"
    kind: str = "one_off"
    # A subscription charge billed for the same period as another order (a duplicate charge).
    same_period_as: str = ""
    expected_days_ago: float | None = None
    delivered_days_ago: float | None = None
    refunded: str = ""


@dataclass(frozen=True)
class ChargeRef:
    """Names one of a customer's regular monthly charges (0 = the latest) for a ticket text."""

    key: str
    customer: str
    months_back: int = 0


@dataclass(frozen=True)
class MessageSpec:
    """A later message on a ticket thread. ``author`` is CUSTOMER or a staff username."""

    author: str
    body: str
    hours_after: float
    internal: bool = False


@dataclass(frozen=True)
class TicketSpec:
    """A ticket. ``subject``, ``body`` and message bodies are ``str.format`` templates over the
    facts of the orders (``{key.number}``, ``{key.amount}``, ``{key.charged}``, ...)."""

    key: str
    customer: str | None
    category: str
    priority: str
    status: str
    hours_ago: float
    subject: str
    body: str
    thread: tuple[MessageSpec, ...] = ()
    assignee: str = ""
    # Only for tickets from someone who is not (or not recognisably) a customer.
    requester_email: str = ""
    orders: tuple[OrderSpec | ChargeRef, ...] = ()


@dataclass(frozen=True)
class ArticleSpec:
    kind: str
    slug: str
    title: str
    body: str
    category: str = ""
    rules: dict | None = None
