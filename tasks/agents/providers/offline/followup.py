"""The offline model on requests that are not a fresh ticket: a staff follow-up after a finished
run, and a free-text task with no ticket."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tasks.agents.providers.offline.facts import (
    Facts,
    decimal,
    gather_facts,
    order_numbers_in,
    period_name,
)
from tasks.agents.providers.offline.knowledge import FALLBACK_SEARCH_TOOL, SEARCH_TOOL, search_call
from tasks.agents.providers.offline.letters import order_line
from tasks.agents.providers.offline.refund_policy import find_duplicate_charges
from tasks.agents.providers.offline.todos import FREE_TEXT_PLAN, TodoBoard, add_todos_call
from tasks.agents.providers.offline.transcript import Transcript
from tasks.agents.providers.offline.types import Decision, PlannedCall

RECHECK = re.compile(
    r"\b(re-?check|check|order|orders|refund\w*|charge\w*|paid|payment|duplicate|invoice|"
    r"balance|status of)\b",
    re.IGNORECASE,
)
STATUS_REQUEST = re.compile(
    r"\b(?:mark|set|move|change)\b.*?\b(solved|open|pending)\b|\b(close|reopen)\b", re.IGNORECASE
)
MENTIONS_TICKETS = re.compile(r"\btickets?\b", re.IGNORECASE)
STOPWORDS = set(
    "the and for with that this what which how does can you our your are was were have has"
    " about from into when where who why please tell show find give list any all there their"
    " them they its it's not but should would could will just need want like know".split()
)
OFFLINE_CAPABILITIES = (
    "I'm AgentDesk's offline model: a rule-based agent that runs without an AI provider. I can"
    " investigate a ticket end to end (look up the customer and orders, read the runbook and"
    " policies, refund within policy with an approver's sign-off, reply to the customer, leave"
    " an internal note and set the status), search the knowledge base, and re-check orders or"
    " change a ticket's status on a follow-up. For open-ended questions, configure"
    " OPENAI_API_KEY (or OPENAI_BASE_URL) to use a language model."
)


def search_query(text: str) -> str:
    words: list[str] = []
    for word in re.findall(r"[a-zA-Z][a-zA-Z'-]{2,}", text.lower()):
        if word not in STOPWORDS and word not in words:
            words.append(word)
    return " ".join(words[:6]) or text.strip()[:60]


def requested_status(text: str) -> str | None:
    match = STATUS_REQUEST.search(text)
    if match is None:
        return None
    word = (match.group(1) or match.group(2) or "").lower()
    return {"close": "solved", "reopen": "open"}.get(word, word)


def _orders_report(facts: Facts) -> str:
    lines = [order_line(order) for order in facts.orders[:6]]
    refunded = [o["number"] for o in facts.orders if decimal(o.get("refunded_amount")) > 0]
    duplicates = [d for d in find_duplicate_charges(facts.orders) if d.duplicates]
    verdict = (
        "Still an open duplicate charge: "
        + ", ".join(
            f"{period_name(d.period)} ({d.original['number']} and {d.duplicates[0]['number']})"
            for d in duplicates
        )
        + "."
        if duplicates
        else "No open duplicate subscription charges."
    )
    refunds = f"Refunded: {', '.join(refunded)}." if refunded else "No refunds on these orders."
    name = facts.customer.get("name", "the customer")
    return f"Re-checked {name}'s recent orders:\n" + "\n".join(lines) + f"\n{refunds} {verdict}"


def decide_followup(transcript: Transcript, can: Callable[[str], bool]) -> Decision:
    """A staff message after a finished run: re-check, change the status, or acknowledge."""
    text = transcript.followup or ""
    if transcript.ticket is None:
        return decide_free_text(transcript, text, can)
    status = requested_status(text)
    mentioned = order_numbers_in(text)[:3]
    wants_orders = bool(RECHECK.search(text) or mentioned)
    if not transcript.exchanges:
        calls: list[PlannedCall] = []
        if wants_orders:
            calls.append(PlannedCall("lookup_customer"))
            calls += [PlannedCall("get_order", {"order_number": n}) for n in mentioned]
        if status:
            calls.append(PlannedCall("set_ticket_status", {"status": status}))
        calls = [call for call in calls if can(call.name)]
        if calls:
            return Decision(
                f'Staff follow-up: "{text[:80]}". '
                + ("Re-checking the orders. " if wants_orders else "")
                + (f"Setting the ticket to {status}." if status else ""),
                calls,
            )
    facts = gather_facts(transcript)
    parts: list[str] = []
    if transcript.has("lookup_customer") and facts.customer:
        parts.append(_orders_report(facts))
    for number in mentioned:
        if number in facts.fetch_errors:
            parts.append(f"{number} is not an order on this customer's account.")
    changed = transcript.latest("set_ticket_status")
    if changed is not None:
        parts.append(
            f"Could not change the status: {changed.error}"
            if changed.error
            else f"Ticket #{transcript.ticket.number} is now {status}."
        )
    if not parts:
        previous = (transcript.previous_answer or "").strip()
        parts.append(
            "Noted. "
            + (f"Where this ticket stands:\n{previous}\n\n" if previous else "")
            + "I can re-check the customer's orders or change the ticket status if you ask."
        )
    return Decision(
        "Answering the staff follow-up from the facts at hand.", message="\n\n".join(parts)
    )


def _hits(facts: Facts) -> list[dict[str, Any]]:
    """What the knowledge-base search found (or the policy search, for an agent without it)."""
    return facts.articles or facts.policies


def _answer(text: str, facts: Facts, tickets: list[dict[str, Any]]) -> str:
    read = {d.get("slug") for d in facts.documents}
    sources = [*facts.documents, *[p for p in _hits(facts) if p.get("slug") not in read]]
    if not sources and not tickets:
        return f'I found nothing in the knowledge base for "{text.strip()[:100]}".\n\n' + (
            OFFLINE_CAPABILITIES
        )
    parts = [f'Here is what the knowledge base says about "{text.strip()[:100]}":']
    if sources:
        best = sources[0]
        body = str(best.get("body") or best.get("excerpt") or "").strip()
        parts.append(f"{best.get('title')} ({best.get('slug')}):\n{body[:900]}")
        rules = best.get("rules")
        if isinstance(rules, dict) and rules:
            parts.append(
                "Rules: " + "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in rules.items())
            )
        others = [f"{s.get('title')} ({s.get('slug')})" for s in sources[1:4]]
        if others:
            parts.append("Also relevant: " + ", ".join(others) + ".")
    if tickets:
        parts.append(
            "Related tickets: "
            + ", ".join(
                f"#{t.get('number')} {t.get('subject')} ({t.get('status')})" for t in tickets[:5]
            )
        )
    return "\n\n".join(parts)


def decide_free_text(transcript: Transcript, text: str, can: Callable[[str], bool]) -> Decision:
    """A task with no ticket: plan, search the knowledge base, read the best hit, answer."""
    board = TodoBoard.read(transcript, FREE_TEXT_PLAN) if can("set_todo_status") else None
    query = search_query(text)
    if not transcript.has(SEARCH_TOOL, FALLBACK_SEARCH_TOOL, "search_tickets", "add_todos"):
        calls = [search_call(can, query)]
        if MENTIONS_TICKETS.search(text):
            calls.append(PlannedCall("search_tickets", {"query": query}))
        if transcript.followup is None:
            calls.insert(0, add_todos_call(FREE_TEXT_PLAN))
        calls = [call for call in calls if can(call.name)]
        if calls:
            return Decision(
                f'A free-text request with no ticket: "{text.strip()[:80]}". Searching the'
                f' knowledge base for "{query}".',
                calls,
            )
    facts = gather_facts(transcript)
    hits = _hits(facts)
    slug = hits[0].get("slug") if hits else None
    moves = (
        board.move({"understand": "done", "search": "done", "answer": "in_progress"})
        if board
        else []
    )
    if slug and can("read_document") and not transcript.has("read_document"):
        return Decision(
            f"The search found '{hits[0].get('title')}'; reading it in full.",
            [*moves, PlannedCall("read_document", {"slug": slug})],
        )
    finish = board.move({"understand": "done", "search": "done", "answer": "done"}) if board else []
    if finish:
        return Decision("Found what there is to find; ticking off the plan.", finish)
    found = transcript.latest("search_tickets")
    tickets = found.result.get("tickets") if found is not None and found.ok else None
    return Decision(
        "Answering from the knowledge base." if hits else "Nothing found to quote.",
        message=_answer(text, facts, tickets if isinstance(tickets, list) else []),
    )
