"""Order checks the offline model makes before it acts: duplicate charges and refund rules.

The refund tool enforces the same rules again (tools enforce, not the model); checking first
lets the model explain a refusal instead of asking an approver for something the tool refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tasks.agents.providers.offline.facts import Facts, decimal, parse_when

# Order statuses that mean nothing more can be refunded.
CLOSED_STATUSES = {"refunded", "cancelled"}


@dataclass(frozen=True)
class DuplicateCharge:
    """Two or more subscription charges for the same period and amount: ``charges`` all of them
    (oldest first), ``original`` the one to keep, ``duplicates`` the open ones to refund."""

    period: str
    amount: Decimal
    currency: str
    charges: tuple[dict[str, Any], ...]
    original: dict[str, Any]
    duplicates: tuple[dict[str, Any], ...]
    already_refunded: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class RefundCheck:
    """Whether a refund of ``amount`` on ``order`` is inside the refund policy."""

    allowed: bool
    reason: str  # ok | no_policy | already_refunded | status | outside_window | above_limit
    amount: Decimal
    days: int | None = None
    window_days: int | None = None
    limit: Decimal | None = None


def _charge_time(order: dict[str, Any]) -> str:
    when = parse_when(order.get("charged_at"))
    return when.isoformat() if when else ""


def _is_open(order: dict[str, Any]) -> bool:
    refundable = decimal(order.get("refundable_amount", order.get("amount")))
    return str(order.get("status", "")) not in CLOSED_STATUSES and refundable > 0


def find_duplicate_charges(orders: list[dict[str, Any]]) -> list[DuplicateCharge]:
    """Groups subscription charges by billing period, amount and currency; a group with more
    than one charge is a duplicate. The earliest open charge is the legitimate one; every later
    open charge is a duplicate to refund. Newest period first."""
    groups: dict[tuple[str, Decimal, str], list[dict[str, Any]]] = {}
    seen: set[str] = set()
    for order in orders:
        number = str(order.get("number", "")).upper()
        if number in seen or order.get("kind") != "subscription":
            continue
        seen.add(number)
        period = str(order.get("billing_period") or "")
        if not period:
            continue
        key = (period, decimal(order.get("amount")), str(order.get("currency") or "USD"))
        groups.setdefault(key, []).append(order)
    found: list[DuplicateCharge] = []
    for (period, amount, currency), charges in groups.items():
        if len(charges) < 2:
            continue
        charges = sorted(charges, key=lambda o: (_charge_time(o), str(o.get("number"))))
        open_charges = [o for o in charges if _is_open(o)]
        refunded = tuple(o for o in charges if not _is_open(o))
        original = open_charges[0] if open_charges else charges[0]
        duplicates = tuple(o for o in open_charges if o is not original)
        found.append(
            DuplicateCharge(
                period=period,
                amount=amount,
                currency=currency,
                charges=tuple(charges),
                original=original,
                duplicates=duplicates,
                already_refunded=refunded,
            )
        )
    return sorted(found, key=lambda d: d.period, reverse=True)


def check_refund(facts: Facts, order: dict[str, Any], amount: Decimal | None = None) -> RefundCheck:
    """Applies the refund policy's rules (from the policy tool result) to one order."""
    refundable = decimal(order.get("refundable_amount", order.get("amount")))
    amount = refundable if amount is None else min(amount, refundable)
    rules = facts.refund_rules
    if not rules:
        return RefundCheck(False, "no_policy", amount)
    days = facts.days_since(order.get("charged_at"))
    window = int(rules.get("refund_window_days", 0) or 0)
    limit = decimal(rules.get("max_refund_amount", "0"))
    statuses = [str(s) for s in rules.get("refundable_statuses") or []]

    def result(reason: str) -> RefundCheck:
        return RefundCheck(reason == "ok", reason, amount, days, window, limit)

    if refundable <= 0 or order.get("status") == "refunded":
        return result("already_refunded")
    if statuses and str(order.get("status")) not in statuses:
        return result("status")
    if days is None or days > window:
        return result("outside_window")
    if amount > limit:
        return result("above_limit")
    return result("ok")
