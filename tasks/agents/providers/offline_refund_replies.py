"""Replies about money: refunds (done, rejected by the approver, refused by the tool), refunds
the policy blocks, and billing findings that need no refund."""

from __future__ import annotations

from tasks.agents.providers.offline_facts import Facts, day, money, period_name, plural
from tasks.agents.providers.offline_letters import Outcome, Wrapup, cur, letter, order_line
from tasks.agents.providers.offline_types import Findings
from tasks.services.task_refunds import REFUND_ALREADY_PENDING

SETTLE_TIME = (
    "It should appear on your statement within 5-10 business days, depending on your bank."
)


def _what_and_found(findings: Findings) -> tuple[str, str]:
    order, amount = findings.data["order"], findings.data["amount"]
    number, duplicate = order["number"], findings.data.get("duplicate")
    if duplicate:
        return (
            f"the duplicate {period_name(duplicate.period)} subscription charge ({number})",
            f"I checked your account and found two subscription charges of {amount} for"
            f" {period_name(duplicate.period)}: {duplicate.original['number']} on"
            f" {day(duplicate.original.get('charged_at'))} and {number} on"
            f" {day(order.get('charged_at'))}. The second one is a duplicate.",
        )
    return (
        f"order {number} ({order.get('description', 'your order')})",
        f"I looked at order {number} ({order.get('description', '')}, {amount}, charged"
        f" {day(order.get('charged_at'))}).",
    )


def refund_wrapup(findings: Findings, facts: Facts, outcome: Outcome) -> Wrapup:
    """After an issue_refund call: executed, rejected by the approver, or refused by the tool."""
    amount, number = findings.data["amount"], findings.data["order"]["number"]
    what, found = _what_and_found(findings)
    if outcome.state == "done":
        refund = outcome.result.get("refund") or {}
        return Wrapup(
            letter(
                facts,
                found,
                f"I've refunded {amount} for {what}. {SETTLE_TIME}",
                "Sorry for the trouble, and thank you for letting us know.",
            ),
            f"Refund #{refund.get('id', '?')} of {amount} on {number} executed after approval"
            f" (order now {refund.get('order_status', 'refunded')}). {findings.conclusion}",
            "solved",
            f"refunded {amount} on {number} after approval; replied, noted and set to solved",
        )
    if outcome.state == "rejected":
        return Wrapup(
            letter(
                facts,
                found,
                f"After review, we're not able to refund {what} at this time. I've passed your"
                " request to our billing team, who will follow up with you directly about the"
                " options available.",
            ),
            f"Refund of {amount} on {number} was not approved. Approver's response:"
            f" {outcome.message or 'no note given'}. Customer told we cannot refund it now;"
            " billing team to follow up.",
            "pending",
            f"the approver rejected the refund of {amount} on {number}; customer told, pending",
        )
    if outcome.message == REFUND_ALREADY_PENDING:
        # Another task already asked for this charge: the truth is "being reviewed", not "no".
        return Wrapup(
            letter(
                facts,
                found,
                f"A refund request for {what} is already with our team for review, so I"
                " haven't opened a second one. You'll hear from us as soon as it's decided.",
            ),
            f"Did not ask for a refund of {amount} on {number}: another request on this order is"
            " already waiting for an approver's decision. Customer told it is under review.",
            "pending",
            f"a refund on {number} is already pending a decision; customer told, pending",
        )
    return Wrapup(
        letter(
            facts,
            found,
            f"Unfortunately I can't refund {what} under our refund policy. I've asked a"
            " colleague to review your case and we'll get back to you with the options.",
        ),
        f"Tried to refund {amount} on {number}; the refund tool refused: {outcome.message}"
        " Needs a person to review.",
        "pending",
        f"the refund tool refused the refund on {number}; explained to the customer, pending",
    )


def blocked_wrapup(findings: Findings, facts: Facts) -> Wrapup:
    """No refund call at all: the policy (as the model read it) does not allow one."""
    order, check = findings.data["order"], findings.data["check"]
    amount, number = findings.data["amount"], order["number"]
    _, found = _what_and_found(findings)
    texts = {
        "outside_window": (
            f"Our refund policy covers orders charged within the last {check.window_days} days,"
            " and this one falls outside that window, so I'm not able to refund it. "
            + (
                "The good news is that it's covered by our hardware warranty: if it's faulty,"
                " we'll repair or replace it free of charge. Just reply and I'll set that up."
                if "warranty" in str(facts.runbook.get("body", "")).lower()
                else "If it isn't working as it should, reply and we'll help troubleshoot it or"
                " look at a repair."
            ),
            f"No refund: {number} was charged {plural(check.days, 'day')} before the request,"
            f" outside the {check.window_days}-day refund window. Offered a warranty repair or"
            " replacement.",
            "solved",
        ),
        "above_limit": (
            f"A refund of {amount} is more than I can approve myself, so I've passed your"
            " request to a team lead, who will review it and get back to you within one"
            " business day.",
            f"Team lead review needed: a refund of {amount} on {number} is above the agent"
            f" limit of {money(check.limit, cur(order))}. No refund issued; please decide.",
            "pending",
        ),
        "already_refunded": (
            "This charge has already been refunded, so there's nothing more to refund."
            f" {SETTLE_TIME}",
            f"{number} is already refunded; nothing further to do.",
            "solved",
        ),
        "status": (
            f"This order is currently {str(order.get('status')).replace('_', ' ')}, which our"
            " refund policy doesn't cover, so I've asked a colleague to look at your case.",
            f"No refund: {number} has status {order.get('status')}, not refundable by policy.",
            "pending",
        ),
        "no_policy": (
            "I've passed your request to a colleague who will review it and get back to you.",
            f"Refund policy rules unavailable; a person must decide on a refund for {number}.",
            "open",
        ),
    }
    reply, note, status = texts[check.reason]
    return Wrapup(
        letter(facts, found, reply),
        note,
        status,
        f"no refund on {number} ({check.reason.replace('_', ' ')}); replied, noted, {status}",
    )


def billing_wrapup(findings: Findings, facts: Facts) -> Wrapup | None:
    """Findings about money with no refund to make."""
    if findings.kind == "refund_cancelled_order":
        order = findings.data["order"]
        text = (
            f"Order {order['number']} was cancelled before it was charged, so the payment was"
            " never captured and there's nothing to refund: the pending amount of"
            f" {money(order.get('amount'), cur(order))} simply disappears from your statement"
            " within 5-10 business days, depending on your bank."
        )
        return Wrapup(
            letter(facts, text),
            f"{order['number']} cancelled: payment never"
            " captured, nothing to refund. Explained the pending amount.",
            "solved",
            f"{order['number']} was cancelled; nothing to refund, explained",
        )
    if findings.kind not in {"duplicate_already_refunded", "no_duplicate"}:
        return None
    if findings.kind == "duplicate_already_refunded":
        dup = findings.data["duplicate"]
        text = (
            f"I checked your {period_name(dup.period)} charges: the duplicate charge has already"
            f" been refunded. {SETTLE_TIME}"
        )
        return Wrapup(
            letter(facts, text),
            f"Duplicate for {dup.period} already refunded.",
            "solved",
            "duplicate already refunded; replied, solved",
        )
    charges = "\n".join(order_line(o) for o in findings.data["charges"]) or "- (none)"
    text = f"I checked your recent subscription charges and don't see a duplicate:\n{charges}"
    ask = (
        "Could you send the date and amount of the charge you're asking about, as shown on your"
        " bank statement? Then I can look into it further."
    )
    return Wrapup(
        letter(facts, text, ask),
        "No duplicate subscription charge in the recent orders; asked for the statement line.",
        "pending",
        "no duplicate found; asked for details, pending",
    )
