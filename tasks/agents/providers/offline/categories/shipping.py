"""Shipping tickets: where an order is against its expected delivery (on time, late, lost, or
delivered per the records), address changes before and after shipping, and general shipping
questions, with the remedies and the fee the shipping policy gives."""

from __future__ import annotations

import re
from typing import Any

from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.checks import chose_refund, no_order_findings, target_order
from tasks.agents.providers.offline.facts import (
    Facts,
    business_days_between,
    day,
    money,
    parse_when,
    plural,
)
from tasks.agents.providers.offline.letters import cur, excerpt, letter, stated
from tasks.agents.providers.offline.refunds import refund_findings, refund_item, refund_wrapup
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup

POLICY_SEARCH = "shipping delivery delay lost package"
ADDRESS = re.compile(r"\baddress\b|deliver (?:it )?to", re.I)
ORDER_WORDS = re.compile(
    r"\b(order\w*|package|parcel|tracking|arriv\w*|deliver\w*|shipped|late)\b", re.I
)
PROOF_WAIT = r"wait up to (\d+ business days?)"


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    return [PlannedCall("search_policies", {"query": POLICY_SEARCH})]


def address_lines(text: str) -> list[str]:
    """The postal address lines following a line like 'New address:'."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if ADDRESS.search(line) and line.rstrip().endswith(":"):
            block: list[str] = []
            for following in lines[index + 1 : index + 6]:
                if not following.strip() and not block:
                    continue
                if not following.strip() or not re.search(r"\d|,", following):
                    break
                block.append(following.strip())
            if block:
                return block
    return []


def analyze(facts: Facts) -> Findings:
    policy = facts.policy("shipping", "delivery") or {}
    rules = policy.get("rules") if isinstance(policy.get("rules"), dict) else {}
    text = facts.customer_text
    if not facts.mentioned_orders and not ORDER_WORDS.search(text):
        return Findings(
            "shipping_question",
            "A general shipping question, not about an order: answer from the shipping policy.",
            data={"policy": policy},
        )
    order = target_order(facts, lambda o: bool(o.get("shipped_at")) and not o.get("delivered_at"))
    if order is None:
        return no_order_findings("shipping question")
    data: dict[str, Any] = {"order": order, "policy": policy, "rules": rules or {}}
    number = order["number"]
    address = address_lines(text)
    if address:
        data["address"] = address
        if not order.get("shipped_at"):
            return Findings(
                "shipping_address_change",
                f"{number} has not shipped: the new address can still be used; note it for the"
                " warehouse.",
                data=data,
            )
        return Findings(
            "shipping_address_shipped",
            f"{number} already shipped: the address can no longer be changed; ask the carrier"
            " to redirect.",
            data=data,
        )
    if order.get("delivered_at"):
        conclusion = f"{number} was delivered on {day(order['delivered_at'])}."
        return Findings("shipping_delivered", conclusion + " Ask the carrier for proof.", data=data)
    if not order.get("shipped_at"):
        return Findings("shipping_not_shipped", f"{number} has not shipped yet.", data=data)
    expected = parse_when(order.get("expected_delivery"))
    if expected is None or facts.reference is None or expected >= facts.reference:
        return Findings(
            "shipping_in_transit",
            f"{number} shipped {day(order['shipped_at'])}, due"
            f" {day(order.get('expected_delivery'))}: still on time.",
            data=data,
        )
    late = business_days_between(expected, facts.reference)
    data["days_late"] = late
    late_after = (rules or {}).get("late_after_business_days")
    lost_after = (rules or {}).get("lost_after_business_days")
    if not isinstance(late_after, int) or not isinstance(lost_after, int):
        return Findings(
            "shipping_late_no_policy",
            f"{number} shipped {day(order['shipped_at'])}, expected"
            f" {day(order['expected_delivery'])}: {plural(late, 'business day')} late, and no"
            " shipping policy with late-delivery rules was found: a person decides the remedy.",
            data=data,
        )
    kind = (
        "shipping_lost"
        if late >= lost_after
        else "shipping_late"
        if late >= late_after
        else "shipping_delayed"
    )
    if kind in ("shipping_late", "shipping_lost") and chose_refund(facts.customer_text):
        # Late past the policy's mark and no longer wanted: a normal refund request (the refund
        # policy's window and limit apply).
        reason = f"Delivery {plural(late, 'business day')} late; customer no longer wants it"
        return refund_findings(
            "refund",
            [refund_item(facts, order, reason)],
            f"{number} is {plural(late, 'business day')} late and the customer no longer wants"
            " it: a full refund, within the refund policy.",
        )
    remedy = {
        "shipping_lost": "treat it as lost: reship or refund in full",
        "shipping_late": "offer a free express reship or a shipping-fee refund",
        "shipping_delayed": "apologise and trace it with the carrier",
    }[kind]
    return Findings(
        kind,
        f"{number} shipped {day(order['shipped_at'])}, expected"
        f" {day(order['expected_delivery'])}: {plural(late, 'business day')} late. Per the shipping"
        f" policy, {remedy}.",
        data=data,
    )


def _question(findings: Findings, facts: Facts) -> Wrapup:
    policy = findings.data.get("policy") or {}
    summary = excerpt(policy, 250) if policy else ""
    text = (
        "Thanks for your question! "
        + (
            f"Here's what our {policy.get('title', 'shipping policy')} says:\n{summary}\n\n"
            if summary
            else ""
        )
        + "I've asked a colleague to confirm the details for your specific case; they'll reply"
        " shortly."
    )
    return Wrapup(
        letter(facts, text),
        "General shipping question; a colleague should confirm the specifics.",
        "open",
        "answered from the shipping policy; open",
    )


def _address(findings: Findings, facts: Facts) -> Wrapup:
    order, address = findings.data["order"], "\n".join(findings.data["address"])
    number = order["number"]
    if findings.kind == "shipping_address_change":
        text = (
            f"Good news: order {number} hasn't shipped yet, so it can still go to your new"
            f" address:\n{address}\nI've passed it to our warehouse with your order."
        )
        note = f"Address change for {number} (not shipped yet), ship to: " + "; ".join(
            findings.data["address"]
        )
        return Wrapup(letter(facts, text), note, "solved", f"new address noted for {number}")
    text = (
        f"Order {number} has already shipped, so we can no longer change its address. I've"
        " asked a colleague to contact the carrier about redirecting it to your new address;"
        " we'll let you know what they say."
    )
    return Wrapup(
        letter(facts, text),
        f"{number} already shipped; please ask the carrier to redirect it to: "
        + "; ".join(findings.data["address"]),
        "open",
        f"{number} shipped; carrier redirect left to a person",
    )


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    if findings.kind == "refund":
        return refund_wrapup(findings, facts, outcomes)
    if findings.kind == "shipping_question":
        return _question(findings, facts)
    if findings.kind.startswith("shipping_address"):
        return _address(findings, facts)
    order, kind, rules = findings.data["order"], findings.kind, findings.data.get("rules") or {}
    number = order["number"]
    # The fee comes only from the shipping policy the agent read; unnamed when it gave none.
    fee = f"{money(rules['shipping_fee'], cur(order))} " if rules.get("shipping_fee") else ""
    if kind == "shipping_delivered":
        wait = stated(facts, PROOF_WAIT)
        text = (
            f"Our records show order {number} was delivered on {day(order['delivered_at'])}."
            " I've asked the carrier for proof of delivery."
            + (
                f" If it doesn't turn up within {wait}, we'll reship it free of charge."
                if wait
                else " A colleague will follow up with you as soon as we hear back."
            )
        )
        note = f"{number} shows delivered {day(order['delivered_at'])}; ask the carrier for proof."
        return Wrapup(letter(facts, text), note, "pending", f"{number} delivered per records")
    if kind == "shipping_not_shipped":
        text = (
            f"Order {number} hasn't shipped yet. I've flagged it to our warehouse so it goes out"
            " as soon as possible."
        )
        return Wrapup(
            letter(facts, text),
            f"{number} not shipped yet; flagged to warehouse.",
            "open",
            f"{number} not shipped; flagged to the warehouse",
        )
    if kind == "shipping_in_transit":
        text = (
            f"Order {number} shipped on {day(order['shipped_at'])} and is on its way; it's due"
            f" by {day(order.get('expected_delivery'))}. If it hasn't arrived by then, just reply."
        )
        return Wrapup(
            letter(facts, text),
            f"{number} in transit, on time.",
            "solved",
            f"{number} in transit and on time",
        )
    late = findings.data.get("days_late")
    facts_line = (
        f"Order {number} shipped on {day(order['shipped_at'])} and was expected by"
        f" {day(order['expected_delivery'])}, so it's now {plural(late, 'business day')} late — I'm"
        " sorry about that."
    )
    if kind == "shipping_late_no_policy":
        offer = "I've asked a colleague to look into it and get back to you with the options."
        note = f"Needs a person: {findings.conclusion}"
        return Wrapup(letter(facts, facts_line, offer), note, "open", f"{number} late; open")
    if kind == "shipping_delayed":
        offer = "I've opened a trace with the carrier and will update you as soon as we hear back."
        note = f"{number} {plural(late, 'business day')} late; carrier trace opened."
    elif kind == "shipping_late":
        offer = (
            "Under our shipping policy you can choose either a free reship by express delivery,"
            f" or a refund of the {fee}shipping fee while you keep waiting for the parcel. Just"
            " reply with what you'd prefer and I'll arrange it right away."
        )
        note = (
            f"{number} is {plural(late, 'business day')} late (expected"
            f" {day(order['expected_delivery'])})."
            f" Offered free express reship or {fee}shipping-fee refund; waiting for the choice."
        )
    else:
        offer = (
            "At this point we treat the parcel as lost: we can reship it free of charge, or"
            f" refund the order in full ({money(order.get('amount'), cur(order))}). Reply with"
            " what you'd prefer."
        )
        note = (
            f"{number} {plural(late, 'business day')} late: lost parcel. Offered reship or refund."
        )
    return Wrapup(
        letter(facts, facts_line, offer),
        note,
        "pending",
        f"{number} {plural(late, 'business day')} late; remedy offered, pending",
    )


CATEGORY = Category(
    name="shipping",
    specialist="billing",
    plan=(
        LOOKUP,
        ("policy", "Read the shipping runbook and policy"),
        ("investigate", "Check the shipping dates against the expected delivery"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
)
