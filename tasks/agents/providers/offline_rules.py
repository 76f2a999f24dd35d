"""The offline model's decisions: given the conversation so far, what to do next.

A ticket run moves through stages, each recognised from the tool calls already made: plan and
gather (to-dos, customer, thread), knowledge (runbook, policy, named orders), research (reading a
search hit), act (a refund or a bug write-up, when the findings warrant one), wrap up (reply,
internal note, status), tick the last to-dos, and a final summary. A stage whose tools the agent
does not have is skipped, so every call makes progress.
"""

from __future__ import annotations

from tasks.agents.providers.offline_account import account_wrapup
from tasks.agents.providers.offline_analysis import analyze
from tasks.agents.providers.offline_billing import billing_question_wrapup
from tasks.agents.providers.offline_facts import Facts, gather_facts, plural
from tasks.agents.providers.offline_followup import decide_followup, decide_free_text
from tasks.agents.providers.offline_knowledge import (
    Purpose,
    best_article,
    search_call,
    ticket_query,
)
from tasks.agents.providers.offline_letters import Outcome, Wrapup, outcome_of
from tasks.agents.providers.offline_other import general_wrapup, other_intent, other_wrapup
from tasks.agents.providers.offline_refund_replies import (
    billing_wrapup,
    blocked_wrapup,
    refund_wrapup,
)
from tasks.agents.providers.offline_replies import service_wrapup
from tasks.agents.providers.offline_todos import TodoBoard, add_todos_call, plan_for
from tasks.agents.providers.offline_transcript import Transcript, parse_transcript
from tasks.agents.providers.offline_types import Decision, Findings, PlannedCall

KNOWLEDGE_TOOLS = (
    "get_runbook",
    "read_document",
    "search_policies",
    "search_knowledge_base",
    "get_order",
)
WRAPUP_TOOLS = ("reply_to_customer", "add_internal_note", "set_ticket_status")
# Categories answered from the knowledge base: the kind of article searched for, and what the
# best match must be (a bug report looks for a known-issue document; a question for an answer).
RESEARCH: dict[str, tuple[str, Purpose]] = {
    "how_to": ("", "answer"),
    "bug_report": ("document", "known_issue"),
    "other": ("", "answer"),
}
POLICY_SEARCHES = {
    "billing": "subscription billing plan upgrade cancellation",
    "shipping": "shipping delivery delay lost package",
    "damaged_item": "damaged item replacement return",
    "account_access": "account security two-factor email change verification",
    "invoice": "invoice reissue company VAT",
}


class Toolbox:
    """The tool names the agent has; None means all (unit tests, an agent without a list)."""

    def __init__(self, names: set[str] | None) -> None:
        self.names = names

    def has(self, name: str) -> bool:
        return self.names is None or name in self.names

    def keep(self, calls: list[PlannedCall]) -> list[PlannedCall]:
        return [call for call in calls if self.has(call.name)]


def decide(input_items: str | list[object], tools: set[str] | None = None) -> Decision:
    """The next turn for the conversation. ``tools`` are the tool names the agent has (None:
    assume all); calls to tools it lacks are never made, and stages that need only missing
    tools are skipped."""
    transcript = parse_transcript(input_items)
    box = Toolbox(tools)
    if transcript.followup is not None:
        decision = decide_followup(transcript, box.has)
    elif transcript.ticket is None:
        decision = decide_free_text(transcript, transcript.task_text, box.has)
    else:
        decision = decide_ticket(transcript, box)
    return Decision(decision.reasoning, box.keep(decision.calls), decision.message)


def compose(findings: Findings, facts: Facts, outcome: Outcome) -> Wrapup:
    """The reply, note, status and summary for the findings and the outcome of their action."""
    if findings.kind in {"duplicate_charge", "refund"}:
        return refund_wrapup(findings, facts, outcome)
    if findings.kind.endswith("_blocked"):
        return blocked_wrapup(findings, facts)
    for wrapup in (
        billing_wrapup(findings, facts),
        billing_question_wrapup(findings, facts),
        account_wrapup(findings, facts),
        service_wrapup(findings, facts, outcome),
    ):
        if wrapup is not None:
            return wrapup
    return other_wrapup(findings, facts) or general_wrapup(facts)


def _knowledge_calls(facts: Facts, transcript: Transcript, box: Toolbox) -> list[PlannedCall]:
    ticket = transcript.ticket
    assert ticket is not None
    calls = [PlannedCall("get_runbook", {"category": ticket.category})]
    if ticket.category in {"billing", "refund"}:
        calls.append(PlannedCall("read_document", {"slug": "refund-policy"}))
    if ticket.category == "billing":
        calls.append(PlannedCall("search_policies", {"query": POLICY_SEARCHES["billing"]}))
    if ticket.category in RESEARCH:
        kind, _ = RESEARCH[ticket.category]
        calls.append(search_call(box.has, ticket_query(ticket), kind))
    elif ticket.category not in {"billing", "refund"}:
        query = POLICY_SEARCHES.get(ticket.category) or ticket.subject or ticket.category
        calls.append(PlannedCall("search_policies", {"query": query}))
    calls += [PlannedCall("get_order", {"order_number": n}) for n in facts.mentioned_orders]
    return calls


def _research_calls(facts: Facts, transcript: Transcript) -> list[PlannedCall]:
    """A question is answered from the search hit that matches it best, read in full."""
    ticket = transcript.ticket
    if ticket is None or ticket.category not in RESEARCH:
        return []
    if ticket.category == "other" and other_intent(facts) is not None:
        return []  # partnerships, deletion requests...: the runbook says what to do
    best = best_article(facts, RESEARCH[ticket.category][1])
    read = {str(ex.arguments.get("slug")) for ex in transcript.calls("read_document")}
    slug = str(best.get("slug") or "") if best else ""
    if not slug or slug in read or any(d.get("slug") == slug for d in facts.documents):
        return []
    return [PlannedCall("read_document", {"slug": slug})]


def _gathered(facts: Facts) -> str:
    if not facts.customer:
        return f"No customer account on this ticket ({facts.customer_error or 'none given'})."
    mentioned = facts.mentioned_orders
    return (
        f"{facts.customer.get('name')} ({facts.customer.get('plan', '?')} plan) has"
        f" {plural(len(facts.orders), 'recent order')}; the thread has"
        f" {plural(len(facts.thread), 'message')}"
        + (f" and names {', '.join(mentioned)}" if mentioned else "")
        + "."
    )


def _outcome_reasoning(findings: Findings, outcome: Outcome, wrap: Wrapup) -> str:
    if outcome.state == "done":
        head = "The action went through."
    elif outcome.state == "rejected":
        head = f"The approver rejected it ({outcome.message or 'no note'}); explain, do not retry."
    elif outcome.state == "refused":
        head = f"The tool refused it ({outcome.message}); explain instead of acting."
    else:
        head = findings.conclusion
    return f"{head} Reply to the customer, note it, set the ticket to {wrap.status}."


def decide_ticket(transcript: Transcript, box: Toolbox) -> Decision:
    """The next step of a ticket investigation (see the module docstring for the stages)."""
    ticket = transcript.ticket
    assert ticket is not None
    plan = plan_for(ticket.category)
    board = TodoBoard.read(transcript, plan) if box.has("set_todo_status") else TodoBoard({}, {})
    gather = box.keep(
        [add_todos_call(plan), PlannedCall("lookup_customer"), PlannedCall("get_ticket_thread")]
    )
    if gather and not transcript.has("add_todos", "lookup_customer", "get_ticket_thread"):
        return Decision(
            f"New {ticket.category.replace('_', ' ')} ticket #{ticket.number}:"
            f' "{ticket.subject}". Plan first, then look up the customer, orders and thread.',
            gather,
        )
    facts = gather_facts(transcript)
    gathering = {"lookup": "done", "policy": "in_progress"}
    knowledge = box.keep(_knowledge_calls(facts, transcript, box))
    if knowledge and not transcript.has(*KNOWLEDGE_TOOLS):
        return Decision(
            _gathered(facts) + f" Next: the {ticket.category} runbook and the policy.",
            board.move(gathering) + knowledge,
        )
    research = box.keep(_research_calls(facts, transcript))
    if research:
        slug = research[0].arguments["slug"]
        return Decision(
            f"The search found '{slug}', which matches the question; reading it.", research
        )
    findings = analyze(facts)
    checked = {"lookup": "done", "policy": "done", "investigate": "done"}
    action = findings.action if findings.action and box.has(findings.action.name) else None
    if action is not None and not transcript.has(action.name):
        return Decision(
            findings.conclusion, [*board.move({**checked, "act": "in_progress"}), action]
        )
    outcome = outcome_of(transcript.latest(action.name) if action else None)
    wrap = compose(findings, facts, outcome)
    acted = {**checked, "act": "done" if outcome.state == "done" else "skipped"}
    wrapup = [
        PlannedCall("reply_to_customer", {"body": wrap.reply}),
        PlannedCall("add_internal_note", {"body": wrap.note}),
        PlannedCall("set_ticket_status", {"status": wrap.status}),
    ]
    # Each wrap-up call once: after a worker died mid-turn, only the ones not yet made.
    pending = [c for c in wrapup if box.has(c.name) and not transcript.has(c.name)]
    if pending:
        return Decision(
            _outcome_reasoning(findings, outcome, wrap),
            [*board.move({**acted, "reply": "in_progress"}), *pending],
        )
    ticks = board.move({**acted, "reply": "done", "wrapup": "done"})
    if ticks:
        return Decision(
            f"Reply sent, note added, status set to {wrap.status}. Ticking off the last to-dos.",
            ticks,
        )
    failed = [ex for ex in transcript.exchanges if ex.name in WRAPUP_TOOLS and ex.error]
    problems = "".join(f"\nWarning: {ex.name} failed: {ex.error}" for ex in failed)
    return Decision(
        "Everything is done; summarising the outcome for staff.",
        message=(
            f"Ticket #{ticket.number} — {ticket.subject}\n\n"
            f"Findings: {findings.conclusion}\n"
            f"Outcome: {wrap.summary}.{problems}"
        ),
    )
