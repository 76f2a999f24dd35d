"""The words the offline model writes for service tickets: the customer reply, the internal
note, the ticket status and the summary for staff. Money replies live in
offline_refund_replies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tasks.agents.models.offline_facts import Facts, day, money, plural
from tasks.agents.models.offline_transcript import ToolExchange
from tasks.agents.models.offline_types import Findings

SIGN_OFF = "Best regards,\nAgentDesk Support"
REJECTION_WORDS = ("reject", "not approved", "declined", "denied")
WORKAROUND = re.compile(r"workaround|works (?:fine |ok |okay )?(?:in|on|with)\b", re.IGNORECASE)
RESET_STEPS = (
    '1. Go to the sign-in page and choose "Forgot password".\n'
    "2. Enter the email address on your account; we'll send a reset link (valid for 1 hour).\n"
    "3. Open the link from the same device and choose a new password."
)


@dataclass(frozen=True)
class Outcome:
    """What happened to the side-effecting call the findings asked for."""

    state: str  # none | done | refused | rejected
    result: dict[str, Any]
    message: str = ""


@dataclass(frozen=True)
class Wrapup:
    reply: str
    note: str
    status: str
    summary: str


def outcome_of(exchange: ToolExchange | None) -> Outcome:
    """Classifies a finished action call. A refund the approver rejected comes back as the SDK's
    rejection text (not a JSON result); a call the tool refused comes back as an error."""
    if exchange is None or not exchange.answered:
        return Outcome("none", {})
    result, raw = exchange.result, exchange.raw_output or ""
    error = exchange.error
    if error and not any(w in error.lower() for w in REJECTION_WORDS):
        return Outcome("refused", result, error)
    if result and not error:
        return Outcome("done", result)
    return Outcome("rejected", result, error or raw.strip())


def cur(order: dict[str, Any]) -> str:
    return str(order.get("currency") or "USD")


def order_line(order: dict[str, Any]) -> str:
    return (
        f"- {order.get('number')}: {order.get('description', '')}, "
        f"{money(order.get('amount'), cur(order))}, charged {day(order.get('charged_at'))}"
        f" ({str(order.get('status', '')).replace('_', ' ')})"
    )


def letter(facts: Facts, *paragraphs: str) -> str:
    body = "\n\n".join(p for p in paragraphs if p)
    return f"Hi {facts.first_name},\n\n{body}\n\n{SIGN_OFF}"


def _excerpt(article: dict[str, Any], limit: int = 700) -> str:
    text = str(article.get("body") or article.get("excerpt") or "").strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _refusal(findings: Findings, facts: Facts) -> Wrapup:
    missing = ", ".join(findings.data["missing"])
    suspected = findings.kind == "suspected_social_engineering"
    note = (
        f"Suspected social-engineering attempt: the request asks us to act on {missing}, which"
        " is not on this customer's account. Refused; nothing about that order disclosed."
        if suspected
        else f"{missing} is not on this customer's account (typo?). Asked them to check."
    )
    reply = letter(
        facts,
        f"I couldn't find order {missing} on your account, so I'm not able to make any changes"
        " to it. For your security, we can only discuss or change an order with its account"
        " holder, writing from the email address on that account.",
        "If the order is yours, please reply with the order number exactly as it appears on your"
        " confirmation email.",
    )
    return Wrapup(reply, note, "pending", f"refused to act on {missing}; noted it, pending")


def _shipping(findings: Findings, facts: Facts) -> Wrapup:
    order, kind, rules = findings.data["order"], findings.kind, findings.data.get("rules") or {}
    number = order["number"]
    fee = money(rules.get("shipping_fee", "9.95"), cur(order))
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
            f" or a refund of the {fee} shipping fee while you keep waiting for the parcel. Just"
            " reply with what you'd prefer and I'll arrange it right away."
        )
        note = (
            f"{number} is {plural(late, 'business day')} late (expected"
            f" {day(order['expected_delivery'])})."
            f" Offered free express reship or {fee} shipping-fee refund; waiting for the choice."
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


def _damaged(findings: Findings, facts: Facts) -> Wrapup:
    order, kind = findings.data["order"], findings.kind
    item, number = order.get("description", "item"), order["number"]
    sorry = f"I'm sorry your {item} (order {number}) arrived damaged."
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
        f"{sorry} Thank you for the photos. We'll send you a free replacement — there's no need"
        " to return the damaged one. If you'd rather have a refund of"
        f" {money(order.get('amount'), cur(order))} instead, just reply and say so."
    )
    note = (
        f"Damage on {number} reported with photos within {findings.data['within']} days of"
        " delivery. Replacement promised (no return needed): please create the replacement"
        " shipment. Refund instead if the customer asks."
    )
    return Wrapup(letter(facts, text), note, "open", f"replacement promised for {number}; open")


def _account(findings: Findings, facts: Facts) -> Wrapup:
    data = findings.data
    email = facts.customer.get("email") or "the email address on your account"
    parts = ["I'm sorry you're locked out — let's get you back in."]
    if data.get("two_factor"):
        parts.append(
            "For your security we reset two-factor authentication only through a secure link"
            f" sent to the email address on file ({email}); it's valid for 30 minutes. Open it,"
            " sign in with your password and set up the authenticator app on your new phone."
            " We never read out or disable codes by hand."
        )
    else:
        parts.append(f"Here's how to reset your password:\n{RESET_STEPS}")
    if data.get("email_change"):
        parts.append(
            "About changing your login email: for your security we can only do that after"
            " verifying your identity. Please reply from the address currently on file and tell"
            " us the date and amount of your last charge; then we'll make the change."
        )
    note = "Sent the " + (
        "2FA reset instructions (link to email on file)"
        if data.get("two_factor")
        else "password-reset steps"
    )
    if data.get("email_change"):
        note += "; email change NOT made, waiting for identity verification (security policy)"
    summary = ("2FA reset instructions sent" if data.get("two_factor") else "reset steps sent") + (
        "; email change held for identity verification" if data.get("email_change") else ""
    )
    return Wrapup(letter(facts, *parts), note + ".", "pending", summary + "; pending")


def _bug(findings: Findings, facts: Facts, outcome: Outcome) -> Wrapup:
    doc = outcome.result.get("document") or {}
    known = findings.data.get("known")
    parts = [
        "Thank you for the detailed report, including the steps and your browser — that makes"
        " it much easier for our engineers."
    ]
    if known:
        parts.append(f"This is a known issue ({known.get('title')}):\n{_excerpt(known, 500)}")
    else:
        parts.append(
            "I've written it up for our engineering team with your steps to reproduce, and"
            " I'll let you know as soon as a fix is out."
            + (
                " In the meantime, please keep using the workaround you found."
                if WORKAROUND.search(facts.customer_text)
                else ""
            )
        )
    steps = len(findings.data.get("steps") or [])
    note = (
        f"Bug written up as document '{doc.get('slug', findings.data['title'])}'"
        f" ({steps} repro steps) for engineering."
        if outcome.state == "done"
        else f"Could not write the bug document ({outcome.message}); summary needed by hand."
    )
    if known:
        note += f" Matches known issue '{known.get('slug')}'."
    return Wrapup(letter(facts, *parts), note, "open", "bug written up for engineering; open")


def _how_to(findings: Findings, facts: Facts) -> Wrapup:
    if findings.kind == "how_to_unknown":
        text = (
            "Thanks for your question. I couldn't find a guide that covers this exactly, so I've"
            " passed it to a colleague who knows this area well; they'll reply shortly."
        )
        return Wrapup(
            letter(facts, text),
            "No knowledge-base article answers this; needs a person.",
            "open",
            "no article found; left open",
        )
    article = findings.data["article"]
    text = f'Here\'s how, from our guide "{article.get("title")}":\n\n{_excerpt(article)}'
    return Wrapup(
        letter(facts, text, "If anything is unclear, just reply and I'll help further."),
        f"Answered from '{article.get('slug', article.get('title'))}'.",
        "solved",
        f"answered from '{article.get('title')}'; solved",
    )


def _invoice(findings: Findings, facts: Facts) -> Wrapup:
    orders, details = findings.data["orders"], findings.data.get("details") or []
    lines = "\n".join(order_line(o) for o in orders)
    email = facts.customer.get("email") or "the email address on your account"
    parts = [f"Here are the details of the charge{'s' if len(orders) > 1 else ''}:\n{lines}"]
    if details:
        block = "\n".join(details)
        parts.append(
            f"I've arranged for the invoice to be reissued with these details:\n{block}\n"
            f"The amounts and dates stay the same. It will be sent to {email}, and you'll also"
            " find it under Billing > Invoices in your account."
        )
    else:
        parts.append(
            f"You can download every invoice under Billing > Invoices; copies go to {email}."
        )
    numbers = ", ".join(str(o["number"]) for o in orders)
    note = f"Invoice for {numbers}" + (
        " to reissue with: " + "; ".join(details) if details else ": details sent"
    )
    summary = f"invoice {'reissue arranged' if details else 'details sent'} for {numbers}; solved"
    return Wrapup(letter(facts, *parts), note + ".", "solved", summary)


def _general(facts: Facts) -> Wrapup:
    text = (
        "Thanks for getting in touch. I've noted your request on your account and a colleague"
        " will follow up with you shortly."
    )
    return Wrapup(
        letter(facts, text),
        "No specific workflow applied; needs a person.",
        "open",
        "acknowledged; left open for a person",
    )


def service_wrapup(findings: Findings, facts: Facts, outcome: Outcome) -> Wrapup:
    """The wrap-up for every finding that does not move money."""
    kind = findings.kind
    if kind in {"suspected_social_engineering", "order_not_found"}:
        return _refusal(findings, facts)
    if kind == "no_customer":
        text = (
            "Thanks for getting in touch. I couldn't match your email to an account — could you"
            " reply with the email address or username you signed up with?"
        )
        return Wrapup(
            letter(facts, text),
            "No customer account matched; asked for the account email.",
            "pending",
            "asked for the account email; pending",
        )
    if kind == "no_order":
        text = (
            "Could you tell me the order number this is about? You'll find it in your"
            " confirmation email (it looks like ORD-12345)."
        )
        return Wrapup(
            letter(facts, text),
            "No matching order found; asked which order.",
            "pending",
            "asked for the order number; pending",
        )
    if kind.startswith("shipping_"):
        return _shipping(findings, facts)
    if kind.startswith("damaged_"):
        return _damaged(findings, facts)
    if kind == "account_access":
        return _account(findings, facts)
    if kind == "bug_report":
        return _bug(findings, facts, outcome)
    if kind.startswith("how_to"):
        return _how_to(findings, facts)
    if kind == "invoice":
        return _invoice(findings, facts)
    return _general(facts)
