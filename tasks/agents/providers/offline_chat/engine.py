"""The offline copilot's decisions: read the request, call the tool that answers or delegates
it, then say what the tool returned (and nothing it did not).

One request takes at most three turns: a lookup (search the backlog for "every open billing
ticket from today"), the action (start investigations on what the search found), and the
answer. A request it cannot pin down gets a follow-up question instead of a guess."""

from __future__ import annotations

from collections.abc import Callable

from tasks.agents.providers.offline.transcript import ToolExchange, Transcript, parse_transcript
from tasks.agents.providers.offline.types import Decision, PlannedCall
from tasks.agents.providers.offline_chat import replies
from tasks.agents.providers.offline_chat.intents import Intent, read_intent


def _request(transcript: Transcript) -> str:
    return transcript.followup if transcript.followup is not None else transcript.task_text


def _target(intent: Intent) -> dict[str, int] | None:
    if intent.task_id is not None:
        return {"task_id": intent.task_id}
    if len(intent.numbers) == 1:
        return {"ticket_number": intent.numbers[0]}
    return None


def _call(name: str, reasoning: str, **arguments: object) -> Decision:
    return Decision(reasoning=reasoning, calls=[PlannedCall(name, dict(arguments))])


def _say(text: str, reasoning: str = "Answer from the tool results.") -> Decision:
    return Decision(reasoning=reasoning, message=text)


def _last(transcript: Transcript) -> ToolExchange | None:
    return transcript.exchanges[-1] if transcript.exchanges else None


def decide(input_items: str | list[object], tools: set[str] | None = None) -> Decision:
    transcript = parse_transcript(input_items)
    intent = read_intent(_request(transcript))
    done = _last(transcript)
    if done is not None and done.error is not None and done.name != "search_tickets":
        return _say(replies.failed(done), "The tool refused; say why.")
    handler = HANDLERS.get(intent.kind, _unknown)
    return handler(intent, transcript, done)


def _investigate(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        if intent.numbers:
            return _call(
                "start_investigations",
                "Start an investigation on each ticket named.",
                ticket_numbers=list(intent.numbers),
            )
        if intent.filters.any:
            return _call(
                "search_tickets",
                f"Find the {intent.filters.describe()} first.",
                **intent.filters.arguments(),
            )
        return _say(replies.WHICH_TICKETS, "The request names no tickets and no filter: ask.")
    if done.name == "search_tickets":
        if done.error is not None:
            return _say(replies.failed(done))
        numbers = [t.get("number") for t in done.result.get("tickets", [])]
        numbers = [n for n in numbers if isinstance(n, int)]
        if not numbers:
            return _say(replies.nothing_found(intent.filters))
        count = done.result.get("count", len(numbers))
        if isinstance(count, int) and count > len(numbers):
            return _say(replies.too_many_found(intent.filters, count))
        return _call(
            "start_investigations",
            f"Start an investigation on each of the {len(numbers)} tickets found.",
            ticket_numbers=numbers,
        )
    return _say(replies.started(done.result))


def _approvals(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        return _call("list_pending_approvals", "Read what waits for approval.")
    return _say(replies.approvals(done.result))


Handler = Callable[[Intent, Transcript, ToolExchange | None], Decision]


def _task_action(tool: str, what: str, doing: str) -> Handler:
    def handle(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
        if done is not None:
            return _say(replies.task_changed(tool, done.result))
        target = _target(intent)
        if target is None:
            return _say(replies.which_task(what), "The request names no single task: ask.")
        if tool == "follow_up_task":
            if not intent.text:
                return _say(replies.FOLLOW_UP_TEXT, "The follow-up has no message: ask.")
            return _call(tool, f"Send the follow-up to the {what}.", text=intent.text, **target)
        return _call(tool, doing, **target)

    return handle


def _start_task(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        return _call("start_task", "Delegate the free-text task.", instructions=intent.text)
    return _say(replies.task_started(done.result))


def _count(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        arguments = {k: v for k, v in intent.filters.arguments().items() if k != "status"}
        return _call("count_tickets", "Count the tickets.", **arguments)
    return _say(replies.counts(done.result, intent.filters))


def _search(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        return _call("search_tickets", "Search the backlog.", **intent.filters.arguments())
    if done.error is not None:
        return _say(replies.failed(done))
    return _say(replies.found(done.result, intent.filters))


def _ticket(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        if len(intent.numbers) > 1:
            return _say(replies.ONE_TICKET, "Several tickets named: ask for one.")
        return _call("get_ticket", "Read the ticket and its latest task.", number=intent.numbers[0])
    return _say(replies.ticket(done.result))


def _task_status(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        return _call("get_task", "Read the task.", task_id=intent.task_id)
    return _say(replies.task(done.result.get("task") or {}))


def _notice(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        return _call(
            "get_task", "A delegated task changed: read it to sum up.", task_id=intent.task_id
        )
    return _say(replies.outcome(done.result.get("task") or {}))


def _customer(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    if done is None:
        if not intent.email:
            return _say(replies.WHICH_CUSTOMER, "No email given: ask.")
        return _call("find_customer", "Look the customer up.", query=intent.email)
    return _say(replies.customer(done.result))


def _help(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    return _say(replies.HELP, "A greeting or a request for help.")


def _unknown(intent: Intent, transcript: Transcript, done: ToolExchange | None) -> Decision:
    return _say(replies.NOT_UNDERSTOOD, "No rule matches the request: say what works.")


HANDLERS: dict[str, Handler] = {
    "investigate": _investigate,
    "approvals": _approvals,
    "cancel": _task_action("cancel_task", "task to cancel", "Cancel the task named."),
    "retry": _task_action("retry_task", "task to retry", "Queue the task named again."),
    "follow_up": _task_action("follow_up_task", "task to follow up", "Send the follow-up."),
    "start_task": _start_task,
    "count": _count,
    "search": _search,
    "ticket_status": _ticket,
    "task_status": _task_status,
    "notice": _notice,
    "customer": _customer,
    "help": _help,
    "unknown": _unknown,
}
