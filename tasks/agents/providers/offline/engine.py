"""The offline model's decisions: given the conversation so far, what to do next.

A ticket run moves through stages, each recognised from the tool calls already made: plan and
gather (to-dos, customer, thread), knowledge (the runbook, the category's policies, the orders
the customer names), research (reading the best knowledge-base match, for the categories
answered from it), act (each side-effecting call the findings warrant, one per turn: a refund
per duplicate charge, each with its own approval), wrap up (reply, internal note, status), tick
the last to-dos, and a final summary. What each category plans, reads, concludes and replies
lives in its module in ``categories/``; the checks every ticket gets (no account, another
customer's order, a language it cannot write) in ``checks``. A stage whose tools the agent
does not have is skipped, so every call makes progress.
"""

from __future__ import annotations

from tasks.agents.providers.offline.categories import category_for
from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.checks import account_findings, check_wrapup, language_handover
from tasks.agents.providers.offline.facts import Facts, gather_facts, plural
from tasks.agents.providers.offline.followup import decide_followup, decide_free_text
from tasks.agents.providers.offline.knowledge import best_article
from tasks.agents.providers.offline.letters import outcome_of
from tasks.agents.providers.offline.todos import TodoBoard, add_todos_call
from tasks.agents.providers.offline.transcript import TicketHeader, Transcript, parse_transcript
from tasks.agents.providers.offline.types import (
    Decision,
    Findings,
    Outcomes,
    PlannedCall,
    Wrapup,
)

KNOWLEDGE_TOOLS = (
    "get_runbook",
    "read_document",
    "search_policies",
    "search_knowledge_base",
    "get_order",
)
WRAPUP_TOOLS = ("reply_to_customer", "add_internal_note", "set_ticket_status")
ESCALATE = "escalate_to_human"
HANDOFF_PREFIX = "hand_to_"


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
    handed = _hand_off(transcript, box)
    if handed is not None:
        return handed
    if transcript.followup is not None:
        decision = decide_followup(transcript, box.has)
    elif transcript.ticket is None:
        decision = decide_free_text(transcript, transcript.task_text, box.has)
    else:
        decision = decide_ticket(transcript, box)
    return Decision(decision.reasoning, box.keep(decision.calls), decision.message)


def _hand_off(transcript: Transcript, box: Toolbox) -> Decision | None:
    """A ticket whose category has a specialist, before anything else of this request: handed
    to the specialist when this agent can (the specialist's own turns then work the case)."""
    ticket = transcript.ticket
    if ticket is None or box.names is None:
        return None
    category = category_for(ticket.category)
    tool = category.handoff_tool
    if not tool or tool not in box.names:
        return None
    if any(ex.name.startswith(HANDOFF_PREFIX) for ex in transcript.exchanges):
        return None
    return Decision(
        f"A {ticket.category.replace('_', ' ')} case: handing ticket #{ticket.number} to the"
        f" {category.specialist} specialist, who works it to the end.",
        [PlannedCall(tool, {})],
    )


def analyze(facts: Facts, category: Category) -> Findings:
    """The findings for the ticket: the checks every ticket gets, then its category's."""
    stopped = account_findings(facts) if category.needs_account else None
    findings = stopped or category.analyze(facts)
    return language_handover(facts, findings) or findings


def compose(findings: Findings, facts: Facts, category: Category, outcomes: Outcomes) -> Wrapup:
    """The reply, note, status and summary for the findings and the outcomes of their actions."""
    return check_wrapup(findings, facts) or category.wrapup(findings, facts, outcomes)


def _knowledge_calls(
    facts: Facts, ticket: TicketHeader, category: Category, box: Toolbox
) -> list[PlannedCall]:
    return [
        PlannedCall("get_runbook", {"category": ticket.category}),
        *category.knowledge(facts, ticket, box.has),
        *(PlannedCall("get_order", {"order_number": n}) for n in facts.mentioned_orders),
    ]


def _research_calls(facts: Facts, transcript: Transcript, category: Category) -> list[PlannedCall]:
    """A question is answered from the search hit that matches it best, read in full."""
    purpose = category.research(facts)
    if purpose is None:
        return []
    best = best_article(facts, purpose)
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


def _outcomes(transcript: Transcript, actions: list[PlannedCall]) -> Outcomes:
    """The outcome of each action, from the latest call made for the same thing."""
    latest = {PlannedCall(ex.name, ex.arguments).key: ex for ex in transcript.exchanges}
    return {action.key: outcome_of(latest.get(action.key)) for action in actions}


def _outcome_reasoning(findings: Findings, outcomes: Outcomes, wrap: Wrapup) -> str:
    heads: list[str] = []
    for (_, subject), outcome in outcomes.items():
        on = f" on {subject}" if subject else ""
        if outcome.state == "done":
            heads.append(f"The action{on} went through.")
        elif outcome.state == "rejected":
            heads.append(
                f"The approver rejected it{on} ({outcome.message or 'no note'}); explain, do not"
                " retry."
            )
        elif outcome.state == "refused":
            heads.append(f"The tool refused it{on} ({outcome.message}); explain instead of acting.")
    head = " ".join(heads) or findings.conclusion
    reply = "Reply to the customer, note it" if wrap.reply is not None else "Note it for a person"
    return f"{head} {reply}, set the ticket to {wrap.status}."


def decide_ticket(transcript: Transcript, box: Toolbox) -> Decision:
    """The next step of a ticket investigation (see the module docstring for the stages)."""
    ticket = transcript.ticket
    assert ticket is not None
    category = category_for(ticket.category)
    plan = category.plan
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
    knowledge = box.keep(_knowledge_calls(facts, ticket, category, box))
    if knowledge and not transcript.has(*KNOWLEDGE_TOOLS):
        return Decision(
            _gathered(facts) + f" Next: the {ticket.category} runbook and the policy.",
            board.move(gathering) + knowledge,
        )
    research = box.keep(_research_calls(facts, transcript, category))
    if research:
        slug = research[0].arguments["slug"]
        return Decision(
            f"The search found '{slug}', which matches the question; reading it.", research
        )
    findings = analyze(facts, category)
    checked = {"lookup": "done", "policy": "done", "investigate": "done"}
    actions = box.keep(list(findings.actions))
    made = {PlannedCall(ex.name, ex.arguments).key for ex in transcript.exchanges}
    waiting = [action for action in actions if action.key not in made]
    if waiting:
        first = len(waiting) == len(actions)
        reasoning = (
            findings.conclusion
            if first
            else f"{len(actions) - len(waiting)} of {len(actions)} done; next, {waiting[0].name}"
            f" for {waiting[0].key[1] or 'the same case'}."
        )
        return Decision(reasoning, [*board.move({**checked, "act": "in_progress"}), waiting[0]])
    outcomes = _outcomes(transcript, actions)
    wrap = compose(findings, facts, category, outcomes)
    acted = {
        **checked,
        "act": "done" if any(o.state == "done" for o in outcomes.values()) else "skipped",
    }
    wrapup = [
        PlannedCall("add_internal_note", {"body": wrap.note}),
        PlannedCall("set_ticket_status", {"status": wrap.status}),
    ]
    if wrap.reply is not None:
        wrapup.insert(0, PlannedCall("reply_to_customer", {"body": wrap.reply}))
    if wrap.escalate is not None:
        # Last: handing the ticket to people leaves it open, whatever the status said.
        queue, reason = wrap.escalate
        wrapup.append(PlannedCall("escalate_to_human", {"queue": queue, "reason": reason}))
    # Each wrap-up call once: after a worker died mid-turn, only the ones not yet made.
    pending = [c for c in wrapup if box.has(c.name) and not transcript.has(c.name)]
    held = _held_reply(transcript)
    if held and not pending and box.has(ESCALATE) and not transcript.has(ESCALATE):
        # This model cannot rewrite a reply that was held or rejected: a person writes it.
        reason = f"The reply to the customer was not sent ({held}). A person writes it."
        pending = [PlannedCall(ESCALATE, {"queue": "team_leads", "reason": reason[:900]})]
    replied = "in_progress" if wrap.reply is not None else "skipped"
    if pending:
        return Decision(
            _outcome_reasoning(findings, outcomes, wrap),
            [*board.move({**acted, "reply": replied}), *pending],
        )
    replied = "done" if wrap.reply is not None else "skipped"
    ticks = board.move({**acted, "reply": replied, "wrapup": "done"})
    if ticks:
        return Decision(
            (
                "Reply sent, note"
                if wrap.reply is not None
                else "No reply (a person writes it), note"
            )
            + f" added, status set to {wrap.status}. Ticking off the last to-dos.",
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


def _held_reply(transcript: Transcript) -> str | None:
    """Why the last reply the run sent was not sent, if it was not: the output guardrail held
    it (a JSON error naming the guardrail), or the person reviewing drafts rejected it (the
    SDK hands back their decision as plain text)."""
    replies = [ex for ex in transcript.exchanges if ex.name == "reply_to_customer"]
    if not replies or replies[-1].raw_output is None:
        return None
    last = replies[-1]
    raw = last.raw_output or ""
    if last.error and last.result.get("guardrail"):
        return f"the output guardrail held it: {last.error}"
    if not last.result and raw.strip():
        return f"the reviewer did not approve the draft: {raw.strip()[:600]}"
    return None
