"""What every offline reply is built from: the outcome of an action, the wrap-up (reply, note,
status, summary), and the letter, order-line and excerpt formats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tasks.agents.providers.offline_facts import Facts, day, money
from tasks.agents.providers.offline_transcript import ToolExchange

SIGN_OFF = "Best regards,\nAgentDesk Support"
REJECTION_WORDS = ("reject", "not approved", "declined", "denied")


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
