"""The facts the offline model has gathered so far, read from its tool results.

Nothing here knows the demo data: customers, orders, policies and dates all come from what the
tools returned in this conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tasks.agents.providers.offline.transcript import TicketHeader, Transcript

# Order numbers as the shop prints them ("ORD-10042").
ORDER_NUMBER = re.compile(r"\b(ORD-\d+)\b", re.IGNORECASE)
REFUND_POLICY_SLUG = "refund-policy"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
STOPWORDS = set(
    "about after also been before being both could does doing each from have having here into"
    " just like more most much need only other over please same should some such than that"
    " their them then there these they this those through very want what when where which"
    " while will with would your thanks hello regards cheers best kind many".split()
)


def money(amount: object, currency: str = "USD") -> str:
    value = decimal(amount)
    symbol = CURRENCY_SYMBOLS.get((currency or "USD").upper())
    return f"{symbol}{value:.2f}" if symbol else f"{value:.2f} {currency}"


def decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value).strip() or "0")
    except (InvalidOperation, ValueError):
        return Decimal("0")


def parse_when(value: object) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day(value: object) -> str:
    """'October 3, 2026' for an ISO date or datetime; the raw value if it does not parse."""
    parsed = parse_when(value)
    if parsed is None:
        return str(value or "")
    return f"{parsed:%B} {parsed.day}, {parsed.year}"


def plural(count: int | None, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def period_name(period: str) -> str:
    """'November 2026' for a billing period '2026-11'."""
    try:
        return datetime.strptime(period, "%Y-%m").strftime("%B %Y")
    except ValueError:
        return period


def business_days_between(start: datetime, end: datetime) -> int:
    """Weekdays after ``start``'s date up to and including ``end``'s (negative if reversed)."""
    if end < start:
        return -business_days_between(end, start)
    first, last = start.date(), end.date()
    days = (last - first).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (first + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def keywords(text: str) -> set[str]:
    """Word stems (first five letters) of the meaningful words in ``text``."""
    return {
        word[:5] for word in re.findall(r"[a-z][a-z'-]{3,}", text.lower()) if word not in STOPWORDS
    }


def relevance(question: str, article: dict[str, Any]) -> int:
    """How many of the question's word stems an article has (title words count double)."""
    asked = keywords(question)
    title = keywords(str(article.get("title", "")))
    body = keywords(f"{article.get('body', '')} {article.get('excerpt', '')}")
    return sum(2 if stem in title else 1 for stem in asked if stem in title or stem in body)


def order_numbers_in(text: str) -> list[str]:
    """Order numbers mentioned in free text, upper-cased, first mention first."""
    seen: list[str] = []
    for match in ORDER_NUMBER.finditer(text):
        number = match.group(1).upper()
        if number not in seen:
            seen.append(number)
    return seen


@dataclass
class Facts:
    """Everything the tool results said, with the ticket the conversation is about."""

    ticket: TicketHeader | None
    customer: dict[str, Any] = field(default_factory=dict)
    customer_error: str | None = None
    orders: list[dict[str, Any]] = field(default_factory=list)
    thread: list[dict[str, Any]] = field(default_factory=list)
    fetched: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetch_errors: dict[str, str] = field(default_factory=dict)
    runbook: dict[str, Any] = field(default_factory=dict)
    policies: list[dict[str, Any]] = field(default_factory=list)
    # Knowledge-base search hits (excerpts), every search of the conversation, first hit first.
    articles: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    refund_rules: dict[str, Any] = field(default_factory=dict)
    reference: datetime | None = None

    @property
    def customer_text(self) -> str:
        """What the customer wrote: subject, body and their later thread messages."""
        parts = [self.ticket.subject, self.ticket.body] if self.ticket else []
        for message in self.thread:
            if message.get("author") == "customer" and not message.get("internal"):
                body = str(message.get("body", ""))
                if body and body not in parts:
                    parts.append(body)
        return "\n".join(parts)

    @property
    def mentioned_orders(self) -> list[str]:
        return order_numbers_in(self.customer_text)[:3]

    @property
    def first_name(self) -> str:
        name = str(self.customer.get("name") or "").strip()
        if name:
            return name.split()[0]
        return self.ticket.first_name if self.ticket else "there"

    def order(self, number: str) -> dict[str, Any] | None:
        number = number.upper()
        if number in self.fetched:
            return self.fetched[number]
        return next((o for o in self.orders if str(o.get("number", "")).upper() == number), None)

    def days_since(self, value: object) -> int | None:
        when = parse_when(value)
        if when is None or self.reference is None:
            return None
        return (self.reference - when).days

    def policy(self, *words: str) -> dict[str, Any] | None:
        """The first policy (from search results or documents read) matching any word."""
        for policy in [*self.documents, *self.policies]:
            haystack = f"{policy.get('slug', '')} {policy.get('title', '')}".lower()
            if any(word in haystack for word in words):
                return policy
        return None


def _reference_time(thread: list[dict[str, Any]]) -> datetime:
    """'Today' for policy windows: the newest customer message, so the same data always gives
    the same decision. Without a dated thread the clock is the only reference left."""
    dates = [
        when
        for message in thread
        if message.get("author") == "customer"
        and (when := parse_when(message.get("created_at"))) is not None
    ]
    return max(dates) if dates else datetime.now(UTC)


def gather_facts(transcript: Transcript) -> Facts:
    """Folds every tool result of the conversation (newest wins) into Facts."""
    facts = Facts(ticket=transcript.ticket)
    for exchange in (*transcript.earlier, *transcript.exchanges):
        if not exchange.answered:
            continue
        result = exchange.result
        if exchange.name == "lookup_customer":
            if exchange.error:
                facts.customer_error = exchange.error
            else:
                facts.customer = dict(result.get("customer") or {})
                facts.orders = [o for o in result.get("recent_orders") or [] if isinstance(o, dict)]
        elif exchange.name == "get_order":
            number = str(exchange.arguments.get("order_number", "")).upper()
            if exchange.error or not isinstance(result.get("order"), dict):
                facts.fetch_errors[number] = exchange.error or "not found"
            else:
                facts.fetched[number] = result["order"]
                facts.fetch_errors.pop(number, None)
        elif exchange.name == "get_ticket_thread" and not exchange.error:
            facts.thread = [m for m in result.get("messages") or [] if isinstance(m, dict)]
        elif exchange.name == "get_runbook" and isinstance(result.get("runbook"), dict):
            facts.runbook = result["runbook"]
        elif exchange.name == "search_policies":
            facts.policies = [p for p in result.get("policies") or [] if isinstance(p, dict)]
        elif exchange.name == "search_knowledge_base":
            found = [a for a in result.get("articles") or [] if isinstance(a, dict)]
            known = {a.get("slug") for a in found}
            facts.articles = found + [a for a in facts.articles if a.get("slug") not in known]
        elif exchange.name == "read_document" and isinstance(result.get("article"), dict):
            article = result["article"]
            facts.documents = [
                d for d in facts.documents if d.get("slug") != article.get("slug")
            ] + [article]
    refund_policy = next(
        (p for p in [*facts.documents, *facts.policies] if p.get("slug") == REFUND_POLICY_SLUG),
        None,
    )
    if refund_policy is not None and isinstance(refund_policy.get("rules"), dict):
        facts.refund_rules = dict(refund_policy["rules"])
    facts.reference = _reference_time(facts.thread)
    return facts
