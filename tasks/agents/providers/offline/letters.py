"""What every offline reply is built from: the outcome of an action, the letter, order-line and
excerpt formats, and facts quoted from the runbook and policies the agent read (a reply states
a time limit or a menu path only when a tool result said it)."""

from __future__ import annotations

import re
from typing import Any

from tasks.agents.providers.offline.facts import Facts, day, money
from tasks.agents.providers.offline.transcript import ToolExchange
from tasks.agents.providers.offline.types import Outcome

SIGN_OFF = "Best regards,\nAgentDesk Support"
REJECTION_WORDS = ("reject", "not approved", "declined", "denied")


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


def excerpt(article: dict[str, Any], limit: int = 700) -> str:
    """The article's first sentences, up to about ``limit`` characters."""
    text = str(article.get("body") or article.get("excerpt") or "").strip()
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if kept and len(kept) + len(sentence) > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return kept


def knowledge_text(facts: Facts) -> str:
    """Everything the runbook, the policies and the documents read said, as one text."""
    parts = [str(facts.runbook.get("body", ""))]
    parts += [str(a.get("body") or a.get("excerpt") or "") for a in facts.documents]
    parts += [str(p.get("body") or p.get("excerpt") or "") for p in facts.policies]
    return "\n".join(" ".join(part.split()) for part in parts if part)


def stated(facts: Facts, pattern: str) -> str:
    """The first match of ``pattern`` (its first group, if any) in what the knowledge base said,
    or "" when it said nothing of the kind: a reply quotes a time limit only if it was read."""
    match = re.search(pattern, knowledge_text(facts), re.IGNORECASE)
    if match is None:
        return ""
    return (match.group(1) if match.groups() else match.group(0)).strip()


def says(facts: Facts, pattern: str) -> bool:
    return bool(stated(facts, pattern))
