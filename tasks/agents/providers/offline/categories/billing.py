"""Billing tickets: duplicate subscription charges (every duplicate refunded, one approval
each), and the questions that need no refund (cancellations, plan changes, payment worries,
price questions), answered from the customer's charges and the subscription billing policy.
A statement the policy did not make, or a price it does not confirm, goes to a person."""

from __future__ import annotations

import calendar
import re
from datetime import datetime
from typing import Any

from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.facts import Facts, day, decimal, money, parse_when, period_name
from tasks.agents.providers.offline.letters import cur, letter, order_line, says, stated
from tasks.agents.providers.offline.refund_policy import find_duplicate_charges
from tasks.agents.providers.offline.refunds import (
    RefundItem,
    join_words,
    refund_findings,
    refund_item,
    refund_wrapup,
)
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup

POLICY_SEARCH = "subscription billing plan upgrade cancellation"
# More duplicates than this in one ticket is not a slip of the billing system a model should
# unpick alone: a person looks at the account.
MAX_DUPLICATE_REFUNDS = 4
CANCEL = re.compile(r"\bcancel\w*\b", re.I)
PLAN_CHANGE = re.compile(
    r"\b(upgrad\w*|downgrad\w*|prorat\w*|switch\w* (?:to|plan)|change plan)", re.I
)
PAYMENT = re.compile(r"\b(declined|card|expired|payment failed|failed payment|scam)\b", re.I)
PRICE = re.compile(
    r"\b(jump\w*|price increase|more than|went up|higher|why (?:was|am|is|did))", re.I
)
SAME_DAY = r"billed monthly on the same day"
NO_CARD_REQUESTS = r"(never ask for card details by email)"


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    return [
        PlannedCall("read_document", {"slug": "refund-policy"}),
        PlannedCall("search_policies", {"query": POLICY_SEARCH}),
    ]


def _next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def _charges(facts: Facts) -> list[dict[str, Any]]:
    return [o for o in facts.orders if o.get("kind") == "subscription"]


def _prices(facts: Facts) -> dict[str, str]:
    # Prices come only from the billing policy the agent read: never quote one it did not see.
    policy = facts.policy("subscription", "billing") or {}
    rules = policy.get("rules") if isinstance(policy.get("rules"), dict) else {}
    prices = (rules or {}).get("prices")
    return {str(k).lower(): str(v) for k, v in prices.items()} if isinstance(prices, dict) else {}


def analyze(facts: Facts) -> Findings:
    duplicates = find_duplicate_charges([*facts.orders, *facts.fetched.values()])
    open_duplicates = [d for d in duplicates if d.duplicates]
    extra = [charge for group in open_duplicates for charge in group.duplicates]
    if len(extra) > MAX_DUPLICATE_REFUNDS:
        return Findings(
            "duplicates_for_a_person",
            f"{len(extra)} duplicate subscription charges in"
            f" {', '.join(period_name(d.period) for d in open_duplicates)}: more than the"
            f" {MAX_DUPLICATE_REFUNDS} an agent refunds on its own; a person should review the"
            " account.",
            data={"duplicates": open_duplicates},
        )
    if open_duplicates:
        items: list[RefundItem] = []
        for group in open_duplicates:
            for charge in group.duplicates:
                reason = (
                    f"Duplicate subscription charge for {period_name(group.period)}:"
                    f" {charge['number']} repeats {group.original['number']}"
                    + (f" (ticket #{facts.ticket.number})" if facts.ticket else "")
                )
                items.append(refund_item(facts, charge, reason))
        head = " ".join(
            f"{len(g.charges)} subscription charges of {money(g.amount, g.currency)} for"
            f" {period_name(g.period)} ({', '.join(o['number'] for o in g.charges)}): keep"
            f" {g.original['number']}; {join_words([o['number'] for o in g.duplicates])}"
            f" {'is a duplicate' if len(g.duplicates) == 1 else 'are duplicates'}."
            for g in open_duplicates
        )
        return refund_findings("duplicate_charge", items, head, duplicates=open_duplicates)
    refunded = [d for d in duplicates if d.already_refunded]
    if refunded:
        return Findings(
            "duplicate_already_refunded",
            f"The {period_name(refunded[0].period)} double charge was already refunded.",
            data={"duplicate": refunded[0]},
        )
    return _question(facts) or Findings(
        "no_duplicate",
        "No two subscription charges share a billing period and amount: no duplicate. List the"
        " recent charges and ask for the statement line.",
        data={"charges": _charges(facts)[:4]},
    )


def _question(facts: Facts) -> Findings | None:
    """A billing ticket with no duplicate charge: which question is it?"""
    text = facts.customer_text
    charges = _charges(facts)
    latest = charges[0] if charges else None
    charged = parse_when(latest.get("charged_at")) if latest else None
    data: dict[str, Any] = {
        "latest": latest,
        "charges": charges[:4],
        "next_billing": _next_month(charged) if charged and says(facts, SAME_DAY) else None,
        "prices": _prices(facts),
        "plan": str(facts.customer.get("plan") or "").lower(),
    }
    if CANCEL.search(text):
        return Findings(
            "billing_cancel",
            "A cancellation: it takes effect at the next billing date, access until then, no"
            " refund for the partial month.",
            data=data,
        )
    if PLAN_CHANGE.search(text):
        plans = list(data["prices"]) or ["starter", "pro", "business"]
        wanted = [p for p in plans if re.search(rf"\b{p}\b", text, re.I) and p != data["plan"]]
        data["target"] = wanted[0] if wanted else ""
        return Findings(
            "billing_plan_change",
            "A plan change question: upgrades are prorated, downgrades start at the next"
            " billing date.",
            data=data,
        )
    if PAYMENT.search(text) and latest is not None:
        return Findings(
            "billing_payment",
            f"Payment worry: the latest charge {latest['number']} is {latest.get('status')};"
            " reassure, never ask for card details.",
            data=data,
        )
    if PRICE.search(text) and latest is not None:
        price = data["prices"].get(data["plan"])
        amount = decimal(latest.get("amount"))
        if price is None or decimal(price) != amount:
            return Findings(
                "billing_price_unverified",
                f"A price question: the latest charge {latest['number']} is"
                f" {money(amount, cur(latest))} on the {data['plan'] or 'unknown'} plan, and the"
                " billing policy "
                + (
                    f"gives {money(price)} for that plan"
                    if price
                    else "read gives no price for that plan"
                )
                + ": the charge cannot be explained from the policy; a person should check it.",
                data=data,
            )
        return Findings(
            "billing_price",
            "A price question: the charges match the plan price in the billing policy.",
            data=data,
        )
    return None


def _plan_price(data: dict[str, Any], plan: str) -> str:
    """The plan's monthly price from the policy, or "" when the policy did not give it."""
    price = data["prices"].get(plan)
    return money(price) if price else ""


def _charges_text(data: dict[str, Any]) -> str:
    return "\n".join(order_line(o) for o in data["charges"]) or "- (none)"


def _question_wrapup(findings: Findings, facts: Facts) -> Wrapup | None:
    data, kind = findings.data, findings.kind
    period_end = (
        f"at your next billing date ({day(data['next_billing'].isoformat())})"
        if data.get("next_billing")
        else "at the end of the current billing period"
    )
    plan = data.get("plan") or "current"
    if kind == "billing_cancel":
        keep = (
            " Your data stays available on the Free plan."
            if says(facts, r"on Free keep their data")
            else ""
        )
        text = (
            f"I've passed your cancellation to our billing team. It takes effect {period_end}:"
            " you keep full access until then, and no further charges will be made. There's no"
            f" refund for the partial month.{keep}"
        )
        note = f"Cancel the {plan} subscription {period_end}; confirmed in writing."
        return Wrapup(letter(facts, text), note, "open", f"cancellation {period_end} confirmed")
    if kind == "billing_plan_change" and not says(facts, r"prorated"):
        return Wrapup(
            letter(
                facts,
                "I've asked a colleague from billing to confirm how the plan change would be"
                " billed for your account; they'll get back to you shortly.",
            ),
            "Needs a person: a plan-change question, and the billing policy read says nothing"
            " about how plan changes are billed.",
            "open",
            "plan-change question without a policy to answer it; left open",
        )
    if kind == "billing_plan_change":
        target = data.get("target") or ""
        known = _plan_price(data, target) if target else ""
        price = f" ({known} per month)" if known else ""
        text = (
            f"Good question! An upgrade{' to ' + target.title() if target else ''}{price} is"
            " prorated: today you pay only the difference for the rest of the current billing"
            " period, and from the next billing period the full new price. Downgrades take"
            " effect at the next billing date, with no refund for the partial month."
        )
        return Wrapup(
            letter(facts, text),
            "Explained proration of plan changes.",
            "solved",
            "explained plan-change billing; solved",
        )
    if kind == "billing_price_unverified":
        text = (
            f"Here are your recent subscription charges:\n{_charges_text(data)}\n\nI couldn't"
            " match the amount to the price of your plan, so I've asked a colleague from billing"
            " to check it and get back to you."
        )
        return Wrapup(
            letter(facts, text),
            f"Needs a person: {findings.conclusion}",
            "open",
            "the charged price could not be verified; left open for billing",
        )
    latest = data["latest"]
    amount = money(latest.get("amount"), cur(latest))
    if kind == "billing_payment":
        paid = str(latest.get("status")) == "paid"
        never = stated(facts, NO_CARD_REQUESTS)
        text = (
            f"I checked your account: your latest charge, {latest['number']} on"
            f" {day(latest.get('charged_at'))} for {amount}, "
            + ("went through." if paid else f"is {str(latest.get('status')).replace('_', ' ')}.")
            + (f" Please note that we {never}." if never else "")
        )
        return Wrapup(
            letter(facts, text),
            f"Latest charge {latest['number']} is {latest.get('status')}. Reassured the customer.",
            "solved" if paid else "pending",
            "payment status confirmed",
        )
    if kind != "billing_price":
        return None
    prices = ", ".join(
        f"{p.title()} {_plan_price(data, p)}" for p in data["prices"] if _plan_price(data, p)
    )
    text = (
        f"Here are your recent subscription charges:\n{_charges_text(data)}\n\nOur monthly"
        f" prices are {prices}. Your account is on the {plan.title()} plan, so {amount} is the"
        " regular price for it. If you expected a different plan, reply and I'll look into when"
        " it changed."
    )
    return Wrapup(
        letter(facts, text),
        f"Explained the {amount} charges: the {plan} price in the billing policy.",
        "pending",
        "explained the charges; pending",
    )


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    kind = findings.kind
    if kind == "duplicate_charge":
        return refund_wrapup(findings, facts, outcomes)
    if kind == "duplicate_already_refunded":
        dup = findings.data["duplicate"]
        text = (
            f"I checked your {period_name(dup.period)} charges: the duplicate charge"
            f" ({', '.join(o['number'] for o in dup.already_refunded)}) has already been"
            " refunded, so there's nothing more to refund."
        )
        return Wrapup(
            letter(facts, text),
            f"Duplicate for {dup.period} already refunded.",
            "solved",
            "duplicate already refunded; replied, solved",
        )
    if kind == "duplicates_for_a_person":
        return Wrapup(
            letter(
                facts,
                "I found several charges on your account that look like duplicates, so I've"
                " asked a colleague from billing to review them all together and get back to"
                " you.",
            ),
            f"Needs a person: {findings.conclusion}",
            "open",
            "several duplicate charges: left open for billing",
        )
    if kind == "no_duplicate":
        text = (
            "I checked your recent subscription charges and don't see a duplicate:\n"
            + _charges_text(findings.data)
        )
        ask = (
            "Could you send the date and amount of the charge you're asking about, as shown on"
            " your bank statement? Then I can look into it further."
        )
        return Wrapup(
            letter(facts, text, ask),
            "No duplicate subscription charge in the recent orders; asked for the statement line.",
            "pending",
            "no duplicate found; asked for details, pending",
        )
    answered = _question_wrapup(findings, facts)
    assert answered is not None, kind
    return answered


CATEGORY = Category(
    name="billing",
    specialist="billing",
    plan=(
        LOOKUP,
        ("policy", "Read the billing runbook and refund policy"),
        ("investigate", "Check the charges for duplicates"),
        ("act", "Refund each duplicate charge (needs approval)"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
)
