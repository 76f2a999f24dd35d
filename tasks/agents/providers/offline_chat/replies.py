"""What the offline copilot says: only what its tools returned (numbers, statuses, reasons,
amounts as the tools wrote them), and a question when the request is unclear."""

from __future__ import annotations

from typing import Any

from tasks.agents.providers.offline.transcript import ToolExchange
from tasks.agents.providers.offline_chat.intents import Filters

WHICH_TICKETS = (
    "Which tickets? Give ticket numbers (for example #1004, #1005) or a filter such as "
    "“open billing tickets from today”."
)
ONE_TICKET = "Which ticket first? Ask about one ticket number at a time."
FOLLOW_UP_TEXT = (
    "What should the follow-up say? Write it after a colon, for example: "
    "“follow up on #1004: also check the March invoice”."
)
WHICH_CUSTOMER = "Which customer? Give their email address."
HELP = (
    "I am the offline copilot (rule-based, no AI model). I can:\n"
    "- start investigations: “investigate every open billing ticket from today”, "
    "“investigate #1004 and #1005”\n"
    "- tell you about a ticket or task: “what's going on with #1004?”, “status of task 12”\n"
    "- count and list tickets: “how many urgent tickets are open?”, "
    "“show new refund tickets”\n"
    "- show refunds waiting for approval and their total (approvers decide in the admin)\n"
    "- start a free-text task: “start a task: draft a runbook for duplicate charges”\n"
    "- cancel, retry or follow up on a task: “cancel the task on #1012”\n"
    "Delegated tasks run in the background; I post here when each finishes or needs an approval."
)
NOT_UNDERSTOOD = (
    "I did not understand that request (I am the offline copilot, rule-based, no AI model). "
    + HELP.split("\n", 1)[1]
)


def which_task(what: str) -> str:
    return f"Which task? Give the ticket number (#1012) or the task id (task 12) of the {what}."


def failed(done: ToolExchange) -> str:
    return f"I could not do that: {done.error}"


def _tickets(numbers: list[Any]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


def _task_ref(task: dict[str, Any]) -> str:
    ticket = task.get("ticket_number")
    where = f" on #{ticket}" if ticket else ""
    return f"task {task.get('task_id')}{where}"


def nothing_found(filters: Filters) -> str:
    return f"No {filters.describe()} found, so I started nothing."


def too_many_found(filters: Filters, count: int) -> str:
    return (
        f"{count} {filters.describe()} match; that is more than I start from one request. "
        "Narrow it down (a priority, a category, today's tickets) and ask again."
    )


def started(result: dict[str, Any]) -> str:
    lines = []
    begun = result.get("started") or []
    running = result.get("already_running") or []
    skipped = result.get("not_started") or []
    if begun:
        refs = ", ".join(f"#{t.get('ticket_number')} (task {t.get('task_id')})" for t in begun)
        lines.append(f"Started {len(begun)} investigation{'s' if len(begun) != 1 else ''}: {refs}.")
    if running:
        refs = ", ".join(f"#{t.get('ticket_number')} (task {t.get('task_id')})" for t in running)
        lines.append(f"Already being worked on: {refs}.")
    for item in skipped:
        lines.append(f"Not started: #{item.get('ticket_number')}: {item.get('reason')}")
    if begun or running:
        lines.append(
            "They run in the background and show below as cards; "
            "I will post here when each finishes or needs an approval."
        )
    return "\n".join(lines) or "Nothing was started."


def task_started(result: dict[str, Any]) -> str:
    task = result.get("started") or {}
    return (
        f"Started task {task.get('task_id')}: “{task.get('title')}”. It runs in the background; "
        "I will post here when it finishes."
    )


STATUS_WORDS = {
    "queued": "queued",
    "running": "running",
    "awaiting_approval": "waiting for a refund approval",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


def _status(task: dict[str, Any]) -> str:
    return STATUS_WORDS.get(str(task.get("status")), str(task.get("status")))


def task_changed(tool: str, result: dict[str, Any]) -> str:
    task = result.get("task") or {}
    ref = _task_ref(task)
    if tool == "cancel_task":
        if task.get("status") == "cancelled":
            return f"Cancelled {ref}."
        return f"Asked {ref} to stop; it ends after its current step (now {_status(task)})."
    if tool == "retry_task":
        return f"Queued {ref} again; it is {_status(task)}."
    return f"Sent the follow-up to {ref}; it is {_status(task)}."


def approvals(result: dict[str, Any]) -> str:
    count = result.get("count", 0)
    drafts = result.get("reply_drafts_waiting") or 0
    also = (
        f" {drafts} reply draft{'s' if drafts != 1 else ''} wait{'s' if drafts == 1 else ''}"
        " for review."
        if drafts
        else ""
    )
    if not count:
        return "No refunds are waiting for approval." + also
    currencies = result.get("currencies") or []
    money = (
        f"{result.get('total_amount')} {currencies[0]}"
        if len(currencies) == 1
        else (
            f"{result.get('total_amount')} in total ({', '.join(currencies)})"
            if currencies
            else str(result.get("total_amount"))
        )
    )
    lines = [
        f"{count} refund request{'s' if count != 1 else ''} wait{'s' if count == 1 else ''} "
        f"for approval, {money} in all.{also}"
    ]
    for item in (result.get("approvals") or [])[:5]:
        ticket = item.get("ticket_number")
        where = f" (#{ticket}, task {item.get('task_id')})" if ticket else ""
        lines.append(f"- {item.get('summary')}{where}")
    lines.append(
        f"I cannot approve or reject; approvers decide in the admin: {result.get('decide_at')}"
    )
    return "\n".join(lines)


def counts(result: dict[str, Any], filters: Filters) -> str:
    by_status = result.get("by_status") or {}
    what = Filters(
        category=filters.category, priority=filters.priority, created=filters.created
    ).describe()
    if filters.status:
        number = (
            result.get("active") if filters.status == "active" else by_status.get(filters.status)
        )
        label = "unresolved" if filters.status == "active" else filters.status
        return f"{number} {label} {what} (of {result.get('total')} in all)."
    parts = ", ".join(
        f"{by_status.get(s, 0)} {s}" for s in ("new", "open", "pending", "solved", "closed")
    )
    return f"{result.get('total')} {what}: {parts}."


def found(result: dict[str, Any], filters: Filters) -> str:
    tickets = result.get("tickets") or []
    if not tickets:
        return f"No {filters.describe()} found."
    lines = [f"{result.get('count')} {filters.describe()}:"]
    for t in tickets[:10]:
        lines.append(
            f"- #{t.get('number')} {t.get('subject')} ({t.get('status')}, {t.get('priority')})"
        )
    if len(tickets) > 10:
        lines.append(f"…and {len(tickets) - 10} more.")
    return "\n".join(lines)


def task(task: dict[str, Any]) -> str:
    if not task:
        return "I found no such task."
    text = f"Task {task.get('task_id')} (“{task.get('title')}”) is {_status(task)}"
    total = task.get("todos_total") or 0
    if total:
        text += f", {task.get('todos_done')} of {total} to-dos done"
    text += "."
    if task.get("final_output"):
        text += f" Its summary: {task['final_output']}"
    if task.get("error"):
        text += f" Why it failed: {task['error']}"
    for approval in task.get("pending_approvals") or []:
        text += f" Waiting for approval: {approval.get('summary')}."
    return text


def outcome(task: dict[str, Any]) -> str:
    """The sum-up after a delegated task ended or paused."""
    if not task:
        return "A delegated task changed, but I could not read it."
    ref = _task_ref(task)
    status = task.get("status")
    if status == "completed":
        summary = task.get("final_output") or "it left no summary."
        return f"{ref.capitalize()} completed. {summary}"
    if status == "failed":
        reason = task.get("error") or "no reason was recorded"
        return f"{ref.capitalize()} failed: {reason}. You can retry it."
    if status == "awaiting_approval":
        waiting = "; ".join(a.get("summary", "") for a in task.get("pending_approvals") or [])
        return (
            f"{ref.capitalize()} needs an approval: {waiting or 'a refund'}. "
            "An approver decides in the admin."
        )
    if status == "cancelled":
        return f"{ref.capitalize()} was cancelled."
    return f"{ref.capitalize()} is {_status(task)}."


def ticket(result: dict[str, Any]) -> str:
    t = result.get("ticket") or {}
    text = (
        f"#{t.get('number')} “{t.get('subject')}” is {t.get('status')} "
        f"({t.get('category')}, {t.get('priority')} priority"
    )
    text += f", customer {t.get('customer')})." if t.get("customer") else ")."
    if t.get("assignee"):
        text += f" Assigned to {t['assignee']}."
    latest = result.get("latest_task")
    if latest:
        text += " Latest task: " + task(latest)
    else:
        text += " No task has worked on it yet."
    return text


def customer(result: dict[str, Any]) -> str:
    c = result.get("customer") or {}
    lines = [f"{c.get('name')} <{c.get('email')}>, {c.get('plan')} plan."]
    orders = result.get("orders") or []
    if orders:
        lines.append(
            "Orders: "
            + "; ".join(
                f"{o.get('number')} {o.get('description')} {o.get('amount')}"
                f" {o.get('currency')} ({o.get('status')})"
                for o in orders[:5]
            )
        )
    tickets = result.get("tickets") or []
    if tickets:
        lines.append(
            "Tickets: "
            + "; ".join(
                f"#{t.get('number')} {t.get('subject')} ({t.get('status')})" for t in tickets[:5]
            )
        )
    return "\n".join(lines)
