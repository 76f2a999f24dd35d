"""What the offline model concludes from the gathered facts: the checks every ticket gets (an
order that is not the customer's), the money categories (billing, refunds) and the dispatch to
the service analyses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tasks.agents.providers.offline_account import analyze_account
from tasks.agents.providers.offline_billing import analyze_billing_question
from tasks.agents.providers.offline_facts import Facts, money, period_name, plural
from tasks.agents.providers.offline_other import analyze_other
from tasks.agents.providers.offline_policy import check_refund, find_duplicate_charges
from tasks.agents.providers.offline_service_analysis import (
    analyze_bug,
    analyze_damaged,
    analyze_how_to,
    analyze_invoice,
    analyze_shipping,
    target_order,
)
from tasks.agents.providers.offline_types import Findings, PlannedCall, label

# With an order that is not on the customer's account, these suggest someone is trying to get
# another person's order refunded or disclosed.
SOCIAL_ENGINEERING = re.compile(
    r"on behalf of|my (?:friend|wife|husband|boss|colleague|partner|brother|sister|mother|father|"
    r"son|daughter|client|employee)|another (?:account|customer|person)|someone else|"
    r"not my account|different (?:account|email)|(?:his|her|their) (?:account|order)|"
    r"account (?:holder|owner)|works for me|i am (?:the|an|a) \w*\s?(?:admin|administrator|"
    r"owner|ceo|manager|director)|ignore (?:all |any |your )?(?:previous|prior|above) "
    r"instructions|override|bypass|already approved|do not (?:ask|escalate)",
    re.IGNORECASE,
)


def foreign_order_findings(facts: Facts) -> Findings | None:
    """An order the text names that the tools say is not this customer's: never act on it."""
    missing = [n for n in facts.mentioned_orders if n in facts.fetch_errors]
    if not missing:
        return None
    owned = [n for n in facts.mentioned_orders if n in facts.fetched]
    suspicious = bool(SOCIAL_ENGINEERING.search(facts.customer_text))
    if owned and not suspicious:
        return None
    named = ", ".join(missing)
    if suspicious:
        return Findings(
            "suspected_social_engineering",
            f"{named} is not on this customer's account and the text pushes to act on someone"
            " else's order without verification: a likely social-engineering attempt. Refuse,"
            " disclose nothing about that order, flag it internally.",
            data={"missing": missing},
        )
    return Findings(
        "order_not_found",
        f"{named} is not on this customer's account: ask them to check the number; no action.",
        data={"missing": missing},
    )


def refund_findings(facts: Facts, order: dict[str, Any], reason: str, kind: str) -> Findings:
    """A refund call when the policy allows it; otherwise ``<kind>_blocked`` with the reason."""
    check = check_refund(facts, order)
    currency = str(order.get("currency") or "USD")
    data = {"order": order, "check": check, "amount": money(check.amount, currency)}
    if check.allowed:
        action = PlannedCall(
            "issue_refund",
            {"order_number": order["number"], "amount": f"{check.amount:.2f}", "reason": reason},
        )
        return Findings(
            kind,
            f"{label(order)} was charged {plural(check.days, 'day')} before the request, inside the"
            f" {check.window_days}-day window and under the {money(check.limit, currency)}"
            f" limit: refund {money(check.amount, currency)} (needs approval).",
            action,
            data,
        )
    why = {
        "no_policy": "the refund policy could not be read, so a person must decide",
        "already_refunded": "it has already been refunded",
        "status": f"its status '{order.get('status')}' is not refundable under the policy",
        "outside_window": f"it was charged {plural(check.days, 'day')} before the request,"
        f" outside the {check.window_days}-day window",
        "above_limit": f"{money(check.amount, currency)} is above the"
        f" {money(check.limit, currency)} agent limit: escalate to a team lead",
    }[check.reason]
    return Findings(f"{kind}_blocked", f"No refund on {order['number']}: {why}.", None, data)


def analyze_billing(facts: Facts) -> Findings:
    duplicates = find_duplicate_charges([*facts.orders, *facts.fetched.values()])
    open_duplicates = [d for d in duplicates if d.duplicates]
    if open_duplicates:
        found = open_duplicates[0]
        extra = found.duplicates[0]
        reason = (
            f"Duplicate subscription charge for {period_name(found.period)}:"
            f" {extra['number']} repeats {found.original['number']}"
            + (f" (ticket #{facts.ticket.number})" if facts.ticket else "")
        )
        findings = refund_findings(facts, extra, reason, "duplicate_charge")
        return Findings(
            findings.kind,
            f"Two subscription charges of {money(found.amount, found.currency)} for"
            f" {period_name(found.period)}: {found.original['number']} and {extra['number']}, so"
            f" {extra['number']} is a duplicate. {findings.conclusion}",
            findings.action,
            {**findings.data, "duplicate": found},
        )
    refunded = [d for d in duplicates if d.already_refunded]
    if refunded:
        return Findings(
            "duplicate_already_refunded",
            f"The {period_name(refunded[0].period)} double charge was already refunded.",
            data={"duplicate": refunded[0]},
        )
    question = analyze_billing_question(facts)
    if question is not None:
        return question
    return Findings(
        "no_duplicate",
        "No two subscription charges share a billing period and amount: no duplicate. List the"
        " recent charges and ask for the statement line.",
        data={"charges": [o for o in facts.orders if o.get("kind") == "subscription"][:4]},
    )


def analyze_refund(facts: Facts) -> Findings:
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
    reason = f"Customer refund request for {order.get('description') or order['number']}" + (
        f" (ticket #{facts.ticket.number})" if facts.ticket else ""
    )
    return refund_findings(facts, order, reason, "refund")


ANALYSES: dict[str, Callable[[Facts], Findings]] = {
    "billing": analyze_billing,
    "refund": analyze_refund,
    "shipping": analyze_shipping,
    "damaged_item": analyze_damaged,
    "account_access": analyze_account,
    "bug_report": analyze_bug,
    "how_to": analyze_how_to,
    "invoice": analyze_invoice,
}


def analyze(facts: Facts) -> Findings:
    """The findings for the ticket's category, after the checks every ticket gets."""
    category = facts.ticket.category if facts.ticket else "other"
    if category == "other" and not facts.mentioned_orders:
        # Partnerships, press, phishing reports: no customer account needed.
        return analyze_other(facts)
    if facts.ticket is not None and not facts.customer and facts.customer_error:
        return Findings(
            "no_customer",
            "The ticket has no known customer account: ask for the account email; act on nothing.",
        )
    foreign = foreign_order_findings(facts)
    if foreign is not None:
        return foreign
    return ANALYSES.get(category, analyze_other)(facts)
