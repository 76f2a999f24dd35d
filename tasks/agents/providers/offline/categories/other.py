"""Tickets outside the main categories: partnerships, data deletion requests, phishing reports
and feedback, handled the way the "other" runbook says (contacts and domains read from it); any
other question is answered from the knowledge base when an article answers it."""

from __future__ import annotations

import re

from tasks.agents.providers.offline.categories import how_to
from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.checks import account_findings
from tasks.agents.providers.offline.facts import Facts
from tasks.agents.providers.offline.knowledge import (
    Purpose,
    best_article,
    search_call,
    ticket_query,
)
from tasks.agents.providers.offline.letters import letter, stated
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup

INTENTS = (
    (
        "other_phishing",
        re.compile(
            r"phishing|scam|card (?:details|number)|suspicious"
            r"|is (?:this|that|it) (?:\w+ )?(?:really )?(?:from )?(?:you|deskwise)\b",
            re.I,
        ),
    ),
    (
        "other_deletion",
        re.compile(r"gdpr|delete my (?:account|data)|deletion|erase|right to be forgotten", re.I),
    ),
    (
        "other_partnership",
        re.compile(r"partner\w*|reseller|resell|press|journalist|distribut\w*|collaborat\w*", re.I),
    ),
    (
        "other_feedback",
        re.compile(
            r"\bthanks?\b|thank you|great job|love (?:it|the)|well done|kudos|feedback", re.I
        ),
    ),
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DOMAINS = re.compile(r"domains? (?:are|is) ([^;\n]+?)(?:;|\.\s|\n|$)", re.I)
DELETION_DEADLINE = r"deletion completes (within \d+ days)"
NO_CARD_REQUESTS = r"(never ask for card details by email)"


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    return [search_call(has, ticket_query(ticket))]


def research(facts: Facts) -> Purpose | None:
    # Partnerships, deletion requests...: the runbook says what to do, no article needed.
    return None if other_intent(facts) is not None else "answer"


def _runbook_email(facts: Facts, topic: str) -> str:
    """The first address the runbook gives after mentioning ``topic`` (e.g. 'partners@...')."""
    body = str(facts.runbook.get("body", ""))
    at = body.lower().find(topic)
    found = EMAIL.search(body, at) if at >= 0 else None
    return found.group(0) if found else ""


def other_intent(facts: Facts) -> str | None:
    """The "everything else" runbook case the customer's text is (None: none of them)."""
    return next((kind for kind, pattern in INTENTS if pattern.search(facts.customer_text)), None)


def analyze(facts: Facts) -> Findings:
    """Partnerships, press and phishing reports need no customer account; an order the text
    names gets the account checks first."""
    if facts.mentioned_orders:
        stopped = account_findings(facts)
        if stopped is not None:
            return stopped
    kind = other_intent(facts)
    if kind is not None:
        own = facts.customer.get("email")
        senders = [e for e in EMAIL.findall(facts.customer_text) if e != own]
        return Findings(
            kind,
            f"{kind.removeprefix('other_').title()} request: follow the 'everything else' runbook.",
            data={"senders": senders},
        )
    article = best_article(facts, "answer")
    if article is not None:
        return Findings(
            "how_to",
            f"No specific workflow fits, but '{article.get('title')}' answers it: quote it.",
            data={"article": article},
        )
    return Findings(
        "general",
        "No specific workflow fits: acknowledge it and leave it open for a person.",
    )


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    kind = findings.kind
    if kind == "how_to":
        return how_to.wrapup(findings, facts, outcomes)
    if kind == "other_partnership":
        contact = _runbook_email(facts, "partner")
        text = (
            "Thank you for reaching out about a partnership! I've forwarded your message to our"
            " partnerships team"
            + (f" ({contact})" if contact else "")
            + ", who will get back to you directly."
        )
        note = f"Partnership enquiry: forward to {contact or 'the partnerships team'}."
        return Wrapup(letter(facts, text), note, "solved", "forwarded to partnerships; solved")
    if kind == "other_deletion":
        contact = _runbook_email(facts, "privacy")
        deadline = stated(facts, DELETION_DEADLINE)
        text = (
            "We've received your request to delete your account and personal data. For your"
            " security we action it once it's confirmed from the email address on file"
            + (f", and the deletion completes {deadline}" if deadline else "")
            + "; we'll confirm when it's done."
        )
        note = f"GDPR deletion request: for the privacy team{f' ({contact})' if contact else ''}."
        return Wrapup(
            letter(facts, text),
            note + " Do not delete by hand.",
            "solved",
            "deletion request passed to privacy; solved",
        )
    if kind == "other_phishing":
        match = DOMAINS.search(str(facts.runbook.get("body", "")))
        senders = findings.data.get("senders") or []
        never = stated(facts, NO_CARD_REQUESTS)
        facts_known = [
            f"our only domains are {match.group(1).strip()}" if match else "",
            f"we {never}" if never else "",
        ]
        known = " and ".join(f for f in facts_known if f)
        text = (
            "Thank you for checking with us."
            + (f" For your reference, {known}." if known else "")
            + " Please don't click any link in that email or reply to it; our security team"
            " will look at it."
        )
        note = "Phishing report" + (f"; sender {', '.join(senders)}" if senders else "")
        return Wrapup(
            letter(facts, text),
            note + ": noted for security.",
            "solved",
            "phishing reported and answered; solved",
        )
    if kind == "other_feedback":
        text = (
            "Thank you so much for taking the time to write — it really made our day. I've"
            " shared your kind words with the team who built it."
        )
        return Wrapup(
            letter(facts, text),
            "Positive feedback, shared with the team.",
            "solved",
            "thanked the customer; solved",
        )
    # Anything no workflow covers: acknowledged and left open for a person.
    text = (
        "Thanks for getting in touch. I've noted your request and a colleague will follow up"
        " with you shortly."
    )
    return Wrapup(
        letter(facts, text),
        "No specific workflow applied; needs a person.",
        "open",
        "acknowledged; left open for a person",
    )


CATEGORY = Category(
    name="other",
    plan=(
        LOOKUP,
        ("policy", "Read the runbook and search the knowledge base"),
        ("investigate", "Work out what the customer needs"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
    research=research,
    needs_account=False,
)
