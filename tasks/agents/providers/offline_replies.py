"""Replies for service tickets that need no money moved: refusals of another customer's order,
a missing customer or order, bug reports, how-to answers and invoices (deliveries are in
offline_delivery_replies)."""

from __future__ import annotations

import re

from tasks.agents.providers.offline_delivery_replies import damaged_wrapup, shipping_wrapup
from tasks.agents.providers.offline_facts import Facts, plural
from tasks.agents.providers.offline_knowledge import KnownIssue, answer_points
from tasks.agents.providers.offline_letters import Outcome, Wrapup, letter, order_line
from tasks.agents.providers.offline_types import Findings

WORKAROUND = re.compile(r"workaround|works (?:fine |ok |okay )?(?:in|on|with)\b", re.IGNORECASE)


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


def _thanks(findings: Findings) -> str:
    given = [
        label
        for label, present in (
            ("the steps", findings.data.get("numbered")),
            ("your device and version details", findings.data.get("environment")),
        )
        if present
    ]
    if given:
        return (
            f"Thank you for the report, including {' and '.join(given)} — that makes it much"
            " easier for our engineers."
        )
    return "Thank you for the report — it helps us a lot."


def _bug(findings: Findings, facts: Facts, outcome: Outcome) -> Wrapup:
    doc = outcome.result.get("document") or {}
    text = (
        "I've written it up for our engineering team with"
        + (" your steps to reproduce" if findings.data.get("numbered") else " the details")
        + ", and I'll let you know as soon as a fix is out."
        + (
            " In the meantime, please keep using the workaround you found."
            if WORKAROUND.search(facts.customer_text)
            else ""
        )
    )
    steps = len(findings.data.get("steps") or [])
    note = (
        f"Bug written up as document '{doc.get('slug', findings.data['title'])}'"
        f" ({plural(steps, 'detail')} from the report) for engineering."
        if outcome.state == "done"
        else f"Could not write the bug document ({outcome.message}); summary needed by hand."
    )
    return Wrapup(
        letter(facts, _thanks(findings), text), note, "open", "bug written up for engineering; open"
    )


def _workaround(sentence: str) -> str:
    # "Workarounds: use another browser, or ..." reads on as "you can use another browser".
    if sentence[:1].islower():
        return f"Until it's fixed, you can {sentence}"
    return f"In the meantime: {sentence}"


def _known_issue(findings: Findings, facts: Facts) -> Wrapup:
    """The runbook's known-issue answer: the workaround and fix status from the document, the
    issue id in the internal note (engineering already has the bug: nothing new written)."""
    issue: KnownIssue = findings.data["issue"]
    parts = [
        _thanks(findings),
        " ".join(
            ["This is a known issue, and our engineers are already working on it.", *issue.what]
        ),
    ]
    parts += [_workaround(sentence) for sentence in issue.workaround]
    parts.append(
        " ".join([*issue.fix, "I'll let you know as soon as the fix is out."])
        if issue.fix
        else "I'll let you know as soon as it's fixed."
    )
    lines = [line.rstrip(". ") for line in findings.data.get("environment_lines") or []]
    environment = " / ".join(lines)[:200] or "not given"
    steps = len(findings.data.get("steps") or [])
    note = (
        f"Known issue {issue.issue_id} ('{issue.title}', {issue.slug}): this customer is"
        f" affected, add them to {issue.issue_id}. Shared the documented workaround and fix"
        f" status; no new bug write-up. Report: {plural(steps, 'step')}; environment:"
        f" {environment}."
    )
    return Wrapup(
        letter(facts, *parts),
        note,
        "open",
        f"known issue {issue.issue_id}: workaround and fix status shared; open",
    )


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
    points = answer_points(article, facts.customer_text)
    steps = "\n".join(f"{i}. {point}" for i, point in enumerate(points, 1))
    source = (
        f'our policy "{article.get("title")}" says'
        if article.get("kind") == "policy"
        else f'how, from our guide "{article.get("title")}"'
    )
    text = f"Here's {source}:\n\n{steps}"
    return Wrapup(
        letter(facts, text, "If anything is unclear, just reply and I'll help further."),
        f"Answered from '{article.get('slug', article.get('title'))}'"
        f" ({plural(len(points), 'point')} quoted).",
        "solved",
        f"answered from '{article.get('title')}'; solved",
    )


def _invoice(findings: Findings, facts: Facts) -> Wrapup:
    orders, details = findings.data["orders"], findings.data.get("details") or []
    lines = "\n".join(order_line(o) for o in orders)
    email = facts.customer.get("email") or "the email address on your account"
    numbers = ", ".join(str(o["number"]) for o in orders)
    if findings.kind == "invoice_bulk":
        text = (
            "Yes! Under Billing > Invoices in your account you can download all your invoices at"
            " once as a ZIP file, so your accountant gets everything in one go."
        )
        return Wrapup(
            letter(facts, text),
            "Pointed to the bulk invoice download.",
            "solved",
            "pointed to the bulk download; solved",
        )
    if findings.kind == "invoice_correction":
        text = (
            "We can reissue your invoices from the last 12 months with corrected company"
            " details. Please reply with the company name, billing address and VAT number exactly"
            " as they should appear, and we'll send the corrected invoices to"
            f" {email}. The amounts and dates stay the same.\n\nYour recent charges:\n{lines}"
        )
        return Wrapup(
            letter(facts, text),
            "Invoice correction requested; asked for the new"
            " details (reissue for the last 12 months).",
            "pending",
            "asked for the corrected invoice details; pending",
        )
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
    note = f"Invoice for {numbers}" + (
        " to reissue with: " + "; ".join(details) if details else ": details sent"
    )
    summary = f"invoice {'reissue arranged' if details else 'details sent'} for {numbers}; solved"
    return Wrapup(letter(facts, *parts), note + ".", "solved", summary)


def service_wrapup(findings: Findings, facts: Facts, outcome: Outcome) -> Wrapup | None:
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
        return shipping_wrapup(findings, facts)
    if kind.startswith("damaged_"):
        return damaged_wrapup(findings, facts)
    if kind == "bug_report":
        return _bug(findings, facts, outcome)
    if kind == "bug_known_issue":
        return _known_issue(findings, facts)
    if kind.startswith("how_to"):
        return _how_to(findings, facts)
    if kind.startswith("invoice"):
        return _invoice(findings, facts)
    return None
