"""Tickets outside the main categories: partnerships, data deletion requests, phishing reports
and feedback, handled the way the "other" runbook says (contacts and domains read from it); any
other question is answered from the knowledge base when an article answers it."""

from __future__ import annotations

import re

from tasks.agents.providers.offline_facts import Facts
from tasks.agents.providers.offline_knowledge import best_article
from tasks.agents.providers.offline_letters import Wrapup, letter
from tasks.agents.providers.offline_types import Findings

INTENTS = (
    (
        "other_phishing",
        re.compile(
            r"phishing|scam|card details|suspicious|is this (?:really )?(?:from )?you", re.I
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


def _runbook_email(facts: Facts, topic: str) -> str:
    """The first address the runbook gives after mentioning ``topic`` (e.g. 'partners@...')."""
    body = str(facts.runbook.get("body", ""))
    at = body.lower().find(topic)
    found = EMAIL.search(body, at) if at >= 0 else None
    return found.group(0) if found else ""


def other_intent(facts: Facts) -> str | None:
    """The "everything else" runbook case the customer's text is (None: none of them)."""
    return next((kind for kind, pattern in INTENTS if pattern.search(facts.customer_text)), None)


def analyze_other(facts: Facts) -> Findings:
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


def other_wrapup(findings: Findings, facts: Facts) -> Wrapup | None:
    kind = findings.kind
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
        text = (
            "We've received your request to delete your account and personal data. For your"
            " security we action it once it's confirmed from the email address on file, and"
            " the deletion completes within 30 days; we'll confirm when it's done."
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
        domains = match.group(1).strip() if match else "our own domain"
        senders = findings.data.get("senders") or []
        text = (
            "Thank you for checking with us — that email is not from us. Our only domains are"
            f" {domains}, and we never ask for card details by email. Please don't click the"
            " link or reply to it; you can simply delete it. Your account is not affected."
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
    return None


def general_wrapup(facts: Facts) -> Wrapup:
    """Anything no workflow covers: acknowledged and left open for a person."""
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
