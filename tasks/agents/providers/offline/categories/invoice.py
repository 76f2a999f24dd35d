"""Invoice requests: the charges the customer means, reissued with the company details they
give (amounts and dates never change), corrections waiting for the details, and the bulk
download, each stated only as far as the invoice policy read says it."""

from __future__ import annotations

import re

from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.checks import no_order_findings
from tasks.agents.providers.offline.facts import Facts
from tasks.agents.providers.offline.letters import letter, order_line, says, stated
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup

POLICY_SEARCH = "invoice reissue company VAT"
INVOICE_CORRECTION = re.compile(r"\b(wrong|old|incorrect|correct\w*|fix|update)\b", re.I)
INVOICE_BULK = re.compile(r"\b(all|every|at once|in one go|zip|bulk)\b", re.I)
MENU = r"\b(Billing > Invoices)\b"
BULK = r"downloaded at once as a ZIP|bulk download as ZIP"
REISSUE_WINDOW = r"for charges of (the last \d+ months)"


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    return [PlannedCall("search_policies", {"query": POLICY_SEARCH})]


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


def analyze(facts: Facts) -> Findings:
    named = [facts.fetched[n] for n in facts.mentioned_orders if n in facts.fetched]
    orders = named or facts.orders[:3]
    if not orders:
        return no_order_findings("invoice request")
    details = company_details(facts.ticket.body if facts.ticket else facts.customer_text)
    text = facts.customer_text
    if not details and INVOICE_CORRECTION.search(text):
        return Findings(
            "invoice_correction",
            "Invoices to correct, but no new details given: ask for them.",
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


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    orders, details = findings.data["orders"], findings.data.get("details") or []
    lines = "\n".join(order_line(o) for o in orders)
    email = facts.customer.get("email") or "the email address on your account"
    numbers = ", ".join(str(o["number"]) for o in orders)
    menu = stated(facts, MENU)
    if findings.kind == "invoice_bulk" and menu and says(facts, BULK):
        text = (
            f"Yes! Under {menu} in your account you can download all your invoices at once as a"
            " ZIP file, so your accountant gets everything in one go."
        )
        return Wrapup(
            letter(facts, text),
            "Pointed to the bulk invoice download.",
            "solved",
            "pointed to the bulk download; solved",
        )
    if findings.kind == "invoice_correction":
        window = stated(facts, REISSUE_WINDOW)
        text = (
            "We can reissue your invoices"
            + (f" from {window}" if window else "")
            + " with corrected company details. Please reply with the company name, billing"
            " address and VAT number exactly as they should appear, and we'll send the"
            f" corrected invoices to {email}.\n\nYour recent charges:\n{lines}"
        )
        return Wrapup(
            letter(facts, text),
            "Invoice correction requested; asked for the new details.",
            "pending",
            "asked for the corrected invoice details; pending",
        )
    parts = [f"Here are the details of the charge{'s' if len(orders) > 1 else ''}:\n{lines}"]
    if details:
        block = "\n".join(details)
        parts.append(
            f"I've asked for the invoice to be reissued with these details:\n{block}\n"
            f"The amounts and dates stay the same. It will be sent to {email}"
            + (f", and you'll also find it under {menu} in your account." if menu else ".")
        )
    elif menu:
        parts.append(f"You can download every invoice under {menu} in your account.")
    note = f"Invoice for {numbers}" + (
        " to reissue with: " + "; ".join(details) if details else ": details sent"
    )
    summary = f"invoice {'reissue requested' if details else 'details sent'} for {numbers}; solved"
    return Wrapup(letter(facts, *parts), note + ".", "solved", summary)


CATEGORY = Category(
    name="invoice",
    specialist="billing",
    plan=(
        LOOKUP,
        ("policy", "Read the invoice runbook"),
        ("investigate", "Collect the order and invoice details"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
)
