"""What the offline model concludes on service tickets: shipping, damaged items, bug reports,
how-to questions and invoices."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tasks.agents.providers.offline_facts import (
    Facts,
    business_days_between,
    day,
    parse_when,
    plural,
)
from tasks.agents.providers.offline_knowledge import OWN_WRITEUP_PREFIX, KnownIssue, best_article
from tasks.agents.providers.offline_types import Findings, PlannedCall, label

PHOTOS = re.compile(r"\b(photos?|pictures?|images?|video|attached|attachment)\b", re.I)
STEP_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*•]|step \d+:?)\s*(.+)$", re.IGNORECASE)
ENVIRONMENT = re.compile(
    r"\b(browser|safari|chrome|firefox|edge|macos|windows|ios|android|version|app)\b", re.I
)
ADDRESS = re.compile(r"\baddress\b|deliver (?:it )?to", re.I)
ORDER_WORDS = re.compile(
    r"\b(order\w*|package|parcel|tracking|arriv\w*|deliver\w*|shipped|late)\b", re.I
)
DAMAGE = re.compile(r"broken|crack|torn|damag|crush|dent|scratch|missing|bent|shatter", re.I)
INVOICE_CORRECTION = re.compile(r"\b(wrong|old|incorrect|correct\w*|fix|update)\b", re.I)
INVOICE_BULK = re.compile(r"\b(all|every|at once|in one go|zip|bulk)\b", re.I)


def target_order(facts: Facts, prefer: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """The order the ticket is about: one it names, else one whose description it mentions,
    else the newest order matching ``prefer``, else the newest order."""
    for number in facts.mentioned_orders:
        if number in facts.fetched:
            return facts.fetched[number]
    text = facts.customer_text.lower()
    for order in facts.orders:
        words = [w for w in str(order.get("description", "")).lower().split() if len(w) > 3]
        if words and sum(w in text for w in words) >= min(2, len(words)):
            return order
    preferred = [o for o in facts.orders if prefer(o)]
    if preferred:
        return preferred[0]
    return facts.orders[0] if facts.orders else None


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


def analyze_shipping(facts: Facts) -> Findings:
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
        return Findings("no_order", "No order found for this shipping question; ask which one.")
    data: dict[str, Any] = {"order": order, "policy": policy, "rules": rules or {}}
    number = order["number"]
    address = address_lines(text)
    if address:
        data["address"] = address
        if not order.get("shipped_at"):
            return Findings(
                "shipping_address_change",
                f"{number} has not shipped: the new"
                " address can still be used; note it for the warehouse.",
                data=data,
            )
        return Findings(
            "shipping_address_shipped",
            f"{number} already shipped: the address can"
            " no longer be changed; ask the carrier to redirect.",
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
    late_after = int((rules or {}).get("late_after_business_days", 5))
    lost_after = int((rules or {}).get("lost_after_business_days", 10))
    kind = (
        "shipping_lost"
        if late >= lost_after
        else "shipping_late"
        if late >= late_after
        else "shipping_delayed"
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


def analyze_damaged(facts: Facts) -> Findings:
    order = target_order(facts, lambda o: bool(o.get("delivered_at")))
    if order is None:
        return Findings("no_order", "No order to match the damaged item; ask which one.")
    policy = facts.policy("damage", "defect") or {}
    rules = policy.get("rules") if isinstance(policy.get("rules"), dict) else {}
    within = int((rules or {}).get("report_within_days", 14))
    delivered = parse_when(order.get("delivered_at"))
    since = (facts.reference - delivered).days if delivered and facts.reference else 0
    text = facts.customer_text
    evidence = PHOTOS.search(text)
    data = {
        "order": order,
        "policy": policy,
        "within": within,
        "evidence": "video" if evidence and "video" in evidence.group(0).lower() else "photos",
        "damaged": bool(DAMAGE.search(text)),
    }
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
    return Findings(
        "damaged_item",
        f"Damage on {label(order)} reported within {within} days with photos: offer a free"
        " replacement (no return needed) or a refund.",
        data=data,
    )


def bug_steps(text: str) -> list[str]:
    steps = [m.group(1).strip() for line in text.splitlines() if (m := STEP_LINE.match(line))]
    if steps:
        return steps[:10]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return [s for s in sentences if s][:5]


def analyze_bug(facts: Facts) -> Findings:
    """A known issue gets its workaround and fix status (no new write-up: engineering has it);
    a new bug is written up for engineering with the customer's steps."""
    ticket = facts.ticket
    report = ticket.body if ticket else facts.customer_text
    steps = bug_steps(report)
    environment = [line.strip() for line in report.splitlines() if ENVIRONMENT.search(line)]
    data: dict[str, Any] = {
        "steps": steps,
        "numbered": any(STEP_LINE.match(line) for line in report.splitlines()),
        "environment": bool(environment),
        "environment_lines": environment[:3],
    }
    known = best_article(facts, "known_issue")
    if known is not None:
        issue = KnownIssue.read(known)
        return Findings(
            "bug_known_issue",
            f"The report matches known issue {issue.issue_id} ('{issue.title}'): share its"
            " workaround and fix status, and note the issue id; no new write-up.",
            data={**data, "issue": issue},
        )
    title = f"{OWN_WRITEUP_PREFIX}{ticket.subject if ticket else 'customer report'}"[:180]
    who = (
        f"Reported in ticket #{ticket.number} by {facts.customer.get('name') or 'a customer'}"
        f" ({facts.customer.get('plan', 'unknown')} plan)."
        if ticket
        else "Reported by a customer."
    )
    body = "\n".join(
        [
            who,
            "",
            "Environment: " + (" / ".join(environment[:3]) or "not given"),
            "",
            "Steps to reproduce (from the customer's report):",
            *[f"{i}. {step}" for i, step in enumerate(steps, 1)],
            "",
            "Customer's report, verbatim:",
            report[:4000],
        ]
    )
    return Findings(
        "bug_report",
        f"Bug report with {len(steps)} reproduction steps and no known issue matching it:"
        " write it up for engineering.",
        PlannedCall("write_document", {"title": title, "body": body}),
        {**data, "title": title},
    )


def analyze_how_to(facts: Facts) -> Findings:
    article = best_article(facts, "answer")
    if article is None:
        return Findings("how_to_unknown", "Nothing in the knowledge base answers this question.")
    return Findings(
        "how_to",
        f"'{article.get('title')}' answers the question: quote the parts that answer it.",
        data={"article": article},
    )


def company_details(text: str) -> list[str]:
    """The block of lines after '...to:' (the details a customer wants on an invoice)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.rstrip().endswith(":") and re.search(r"\b(to|details|address)\b", line, re.I):
            block: list[str] = []
            for following in lines[index + 1 :]:
                if not following.strip():
                    if block:
                        break
                    continue
                block.append(following.strip())
            return block[:6]
    return []


def analyze_invoice(facts: Facts) -> Findings:
    named = [facts.fetched[n] for n in facts.mentioned_orders if n in facts.fetched]
    orders = named or facts.orders[:3]
    if not orders:
        return Findings("no_order", "No orders on the account to invoice; ask which one.")
    details = company_details(facts.ticket.body if facts.ticket else facts.customer_text)
    text = facts.customer_text
    if not details and INVOICE_CORRECTION.search(text):
        return Findings(
            "invoice_correction",
            "Invoices to correct, but no new details given: ask for them (reissue possible for"
            " the last 12 months).",
            data={"orders": orders},
        )
    if not details and not facts.mentioned_orders and INVOICE_BULK.search(text):
        return Findings(
            "invoice_bulk",
            "Wants all invoices at once: point to the bulk download.",
            data={"orders": orders},
        )
    return Findings(
        "invoice",
        f"Invoice for {', '.join(str(o['number']) for o in orders)}"
        + (" to reissue with the company details given" if details else "")
        + ": confirm the facts; amounts and dates never change.",
        data={"orders": orders, "details": details},
    )
