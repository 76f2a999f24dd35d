"""Replies about deliveries: shipping questions, address changes, late or lost parcels, and
damaged or faulty items."""

from __future__ import annotations

from tasks.agents.providers.offline_facts import Facts, day, money, plural
from tasks.agents.providers.offline_letters import Wrapup, cur, excerpt, letter
from tasks.agents.providers.offline_types import Findings


def _shipping_question(findings: Findings, facts: Facts) -> Wrapup:
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
        " asked the carrier to redirect it to your new address; if that isn't possible, it"
        " will come back to us and we'll reship it to you free of charge."
    )
    return Wrapup(
        letter(facts, text),
        f"{number} already shipped; carrier redirect requested.",
        "pending",
        f"{number} shipped; redirect requested",
    )


def shipping_wrapup(findings: Findings, facts: Facts) -> Wrapup:
    if findings.kind == "shipping_question":
        return _shipping_question(findings, facts)
    if findings.kind.startswith("shipping_address"):
        return _address(findings, facts)
    order, kind, rules = findings.data["order"], findings.kind, findings.data.get("rules") or {}
    number = order["number"]
    # The fee comes only from the shipping policy the agent read; unnamed when it gave none.
    fee = f"{money(rules['shipping_fee'], cur(order))} " if rules.get("shipping_fee") else ""
    if kind == "shipping_delivered":
        text = (
            f"Our records show order {number} was delivered on {day(order['delivered_at'])}."
            " I've asked the carrier for proof of delivery (GPS and photo). If it doesn't turn"
            " up within 2 business days, we'll reship it free of charge."
        )
        note = f"{number} shows delivered {day(order['delivered_at'])}; asked carrier for proof."
        return Wrapup(letter(facts, text), note, "pending", f"{number} delivered per records")
    if kind == "shipping_not_shipped":
        text = (
            f"Order {number} hasn't shipped yet. I've flagged it to our warehouse so it goes out"
            " as soon as possible; you'll get a tracking email when it ships."
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


def damaged_wrapup(findings: Findings, facts: Facts) -> Wrapup:
    order, kind = findings.data["order"], findings.kind
    item, number = order.get("description", "item"), order["number"]
    what = "arrived damaged" if findings.data.get("damaged") else "isn't working properly"
    sorry = f"I'm sorry your {item} (order {number}) {what}."
    evidence = findings.data.get("evidence", "photos")
    if kind == "damaged_warranty":
        text = (
            f"Your {item} (order {number}) was delivered more than"
            f" {findings.data['within']} days ago, so this is handled under our hardware"
            " warranty: we'll repair or replace it after a quick inspection. Reply and I'll send"
            " you a prepaid return label."
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
