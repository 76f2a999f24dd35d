"""Damaged or defective items: the delivered order, whether the report came within the damaged
item policy's window and with a photo, and the remedy the policy offers (replacement or refund;
a warranty claim after the window)."""

from __future__ import annotations

import re

from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.checks import chose_refund, no_order_findings, target_order
from tasks.agents.providers.offline.facts import Facts, money, parse_when
from tasks.agents.providers.offline.letters import cur, letter
from tasks.agents.providers.offline.refunds import refund_findings, refund_item, refund_wrapup
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup, label

POLICY_SEARCH = "damaged item replacement return"
PHOTOS = re.compile(r"\b(photos?|pictures?|images?|video|attached|attachment)\b", re.I)
DAMAGE = re.compile(r"broken|crack|torn|damag|crush|dent|scratch|missing|bent|shatter", re.I)


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    calls = [PlannedCall("search_policies", {"query": POLICY_SEARCH})]
    if chose_refund(facts.customer_text):
        # A refund follows the refund policy (window, limit): read it before asking for one.
        calls.append(PlannedCall("read_document", {"slug": "refund-policy"}))
    return calls


def analyze(facts: Facts) -> Findings:
    order = target_order(facts, lambda o: bool(o.get("delivered_at")))
    if order is None:
        return no_order_findings("damaged item")
    policy = facts.policy("damage", "defect") or {}
    rules = policy.get("rules") if isinstance(policy.get("rules"), dict) else {}
    within = (rules or {}).get("report_within_days")
    delivered = parse_when(order.get("delivered_at"))
    text = facts.customer_text
    evidence = PHOTOS.search(text)
    data = {
        "order": order,
        "policy": policy,
        "within": within,
        "evidence": "video" if evidence and "video" in evidence.group(0).lower() else "photos",
        "damaged": bool(DAMAGE.search(text)),
    }
    if not isinstance(within, int) or delivered is None or facts.reference is None:
        return Findings(
            "damaged_unverified",
            f"Damage reported on {label(order)}, but "
            + (
                "the order has no delivery date"
                if delivered is None
                else "no damaged-item policy with a report window was found"
            )
            + ": a person decides the remedy.",
            data=data,
        )
    since = (facts.reference - delivered).days
    if since > within:
        return Findings(
            "damaged_warranty",
            f"{label(order)} was reported {since} days after delivery, past the {within}-day"
            " window: a warranty claim (repair or replacement after inspection).",
            data=data,
        )
    if not evidence:
        return Findings(
            "damaged_needs_photo",
            f"Damage on {label(order)} reported within {within} days but without a photo: ask"
            " for one.",
            data=data,
        )
    if chose_refund(text):
        # The policy's remedies are the customer's choice, and they chose: a refund, within the
        # refund policy like any other.
        reason = f"Damaged on arrival, reported with {data['evidence']}: {label(order)}"
        return refund_findings(
            "refund",
            [refund_item(facts, order, reason)],
            f"Damage on {label(order)} reported within {within} days with {data['evidence']};"
            " the customer chose a refund over a replacement.",
        )
    return Findings(
        "damaged_item",
        f"Damage on {label(order)} reported within {within} days with photos: offer a free"
        " replacement (no return needed) or a refund.",
        data=data,
    )


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    if findings.kind == "refund":
        return refund_wrapup(findings, facts, outcomes)
    order, kind = findings.data["order"], findings.kind
    item, number = order.get("description", "item"), order["number"]
    what = "arrived damaged" if findings.data.get("damaged") else "isn't working properly"
    sorry = f"I'm sorry your {item} (order {number}) {what}."
    evidence = findings.data.get("evidence", "photos")
    if kind == "damaged_unverified":
        text = f"{sorry} I've asked a colleague to look at your case and get back to you."
        note = f"Needs a person: {findings.conclusion}"
        return Wrapup(letter(facts, text), note, "open", f"damage on {number}; open")
    if kind == "damaged_warranty":
        text = (
            f"Your {item} (order {number}) was delivered more than"
            f" {findings.data['within']} days ago, so this is handled under our hardware"
            " warranty: we'll repair or replace it after an inspection. Reply and a colleague"
            " will arrange it with you."
        )
        note = f"Damage on {number} reported after the report window: warranty claim offered."
        return Wrapup(letter(facts, text), note, "pending", f"warranty claim offered for {number}")
    if kind == "damaged_needs_photo":
        text = (
            f"{sorry} Could you reply with a photo of the damage and of the packaging? As soon as"
            " we have it, we'll send a free replacement or refund the item, whichever you prefer."
        )
        note = f"Damage on {number}; asked for photos (policy requires one)."
        return Wrapup(letter(facts, text), note, "pending", f"asked for photos of {number}")
    text = (
        f"{sorry} Thank you for the {evidence}. We'll send you a free replacement — there's no need"
        f" to return the {'damaged' if findings.data.get('damaged') else 'faulty'} one. If you'd"
        " rather have a refund of"
        f" {money(order.get('amount'), cur(order))} instead, just reply and say so."
    )
    note = (
        f"Damage on {number} reported with {evidence} within {findings.data['within']} days of"
        " delivery. Replacement promised (no return needed): please create the replacement"
        " shipment. Refund instead if the customer asks."
    )
    return Wrapup(letter(facts, text), note, "open", f"replacement promised for {number}; open")


CATEGORY = Category(
    name="damaged_item",
    specialist="billing",
    plan=(
        LOOKUP,
        ("policy", "Read the damaged-item runbook and policy"),
        ("investigate", "Find the order and decide replacement or refund"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
)
