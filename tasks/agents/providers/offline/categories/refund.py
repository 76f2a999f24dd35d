"""Refund requests: the order the customer means, checked against the refund policy (window,
limit, status, what remains refundable) before a refund is asked for; a cancelled order was
never captured, so there is nothing to refund."""

from __future__ import annotations

import re

from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.checks import target_order
from tasks.agents.providers.offline.facts import Facts, money
from tasks.agents.providers.offline.letters import cur, letter, stated
from tasks.agents.providers.offline.refunds import refund_findings, refund_item, refund_wrapup
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup

# How long a cancelled order's pending amount stays on a statement, when the runbook says.
PENDING_CLEARS = r"disappears from the bank statement (within [\d\-\u2013 ]+business days)"
# A request to be paid a price difference (a later promotion, a price match): not a refund of
# the order, and nothing in the refund policy covers it, so a person decides.
PRICE_ADJUSTMENT = re.compile(
    r"\b(price (drop|dropped|match|adjustment|difference)|the difference|promotion|promo code"
    r"|price went down|now cheaper|on sale now|discount(ed)? (now|price))\b",
    re.IGNORECASE,
)


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    return [PlannedCall("read_document", {"slug": "refund-policy"})]


def analyze(facts: Facts) -> Findings:
    order = target_order(facts, lambda o: o.get("kind") == "one_off")
    if order is None:
        return Findings("no_order", "The customer has no orders to refund; ask which one.")
    if order.get("status") == "cancelled":
        return Findings(
            "refund_cancelled_order",
            f"{order['number']} was cancelled, so its payment was never captured: nothing to"
            " refund; the pending amount disappears from the statement.",
            data={"order": order},
        )
    if PRICE_ADJUSTMENT.search(facts.customer_text):
        return Findings(
            "price_adjustment",
            f"The customer asks to be paid a price difference on {order['number']}, not to"
            " return it: the refund policy does not cover price adjustments; a person decides.",
            data={"order": order},
        )
    reason = f"Customer refund request for {order.get('description') or order['number']}" + (
        f" (ticket #{facts.ticket.number})" if facts.ticket else ""
    )
    return refund_findings("refund", [refund_item(facts, order, reason)])


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    if findings.kind == "price_adjustment":
        return _price_adjustment(findings, facts)
    if findings.kind != "refund_cancelled_order":
        return refund_wrapup(findings, facts, outcomes)
    order = findings.data["order"]
    clears = stated(facts, PENDING_CLEARS)
    text = (
        f"Order {order['number']} was cancelled before it was charged, so the payment was"
        " never captured and there's nothing to refund: the pending amount of"
        f" {money(order.get('amount'), cur(order))} disappears from your statement"
        + (f" {clears}, depending on your bank." if clears else " by itself.")
    )
    return Wrapup(
        letter(facts, text),
        f"{order['number']} cancelled: payment never captured, nothing to refund. Explained the"
        " pending amount.",
        "solved",
        f"{order['number']} was cancelled; nothing to refund, explained",
    )


def _price_adjustment(findings: Findings, facts: Facts) -> Wrapup:
    order = findings.data["order"]
    text = (
        f"Thanks for letting us know about the price of your {order.get('description') or 'order'}"
        f" ({order['number']}). A price adjustment after purchase isn't something I can make"
        " myself, and I haven't refunded your order. I've passed your request to a colleague,"
        " who will get back to you."
    )
    return Wrapup(
        letter(facts, text),
        f"Customer asks for a price adjustment on {order['number']} (later promotion or price"
        " difference), not a return. The refund policy does not cover it: needs a person to"
        " decide. Nothing refunded.",
        "open",
        f"price adjustment asked on {order['number']}; handed to a person",
    )


CATEGORY = Category(
    name="refund",
    specialist="billing",
    plan=(
        LOOKUP,
        ("policy", "Read the refund runbook and refund policy"),
        ("investigate", "Check the order against the refund window, limit and status"),
        ("act", "Refund the order if the policy allows it (needs approval)"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
)
