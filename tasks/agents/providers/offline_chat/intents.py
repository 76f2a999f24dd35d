"""What a staff member asks the copilot, read from plain language by rules.

A request becomes an ``Intent``: what to do (``kind``), the tickets or task it is about, and
the backlog filters it names. Anything it cannot pin down is left empty, and the engine asks a
follow-up question instead of guessing ("which tickets?")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CATEGORY_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bbilling\b|\bcharges?\b|\bcharged\b", "billing"),
    (r"\brefunds?\b", "refund"),
    (r"\bshipping\b|\bdelivery\b|\bdeliveries\b|\bshipments?\b", "shipping"),
    (r"\bdamaged?\b|\bbroken\b", "damaged_item"),
    (r"\baccount[- ]access\b|\blog ?in\b|\bpassword\b|\blocked out\b", "account_access"),
    (r"\bbugs?\b|\bbug[- ]reports?\b", "bug_report"),
    (r"\bhow[- ]to\b", "how_to"),
    (r"\binvoices?\b", "invoice"),
)
STATUS_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bunresolved\b|\bactive\b", "active"),
    (r"\bopen\b", "open"),
    (r"\bnew\b", "new"),
    (r"\bpending\b", "pending"),
    (r"\bsolved\b|\bresolved\b", "solved"),
    (r"\bclosed\b", "closed"),
)
PRIORITY_WORDS: tuple[tuple[str, str], ...] = (
    (r"\burgent\b", "urgent"),
    (r"\bhigh[- ]priority\b|\bhigh\b", "high"),
    (r"\blow[- ]priority\b", "low"),
)
CREATED_WORDS: tuple[tuple[str, str], ...] = (
    (r"\btoday\b|\btoday's\b|\bthis morning\b", "today"),
    (r"\byesterday\b|\byesterday's\b", "yesterday"),
    (r"\bthis week\b", "this_week"),
    (
        r"\blast week\b|\bpast week\b|\blast 7 days\b|\bpast 7 days\b|\blast seven days\b",
        "last_7_days",
    ),
)

_TICKET_NUMBER = re.compile(r"#\s?(\d{1,9})\b|\btickets?\s+(?:number\s+|no\.?\s*)?(\d{1,9})\b")
_MORE_NUMBERS = re.compile(r"(?:,|\band\b|&)\s*#?\s?(\d{1,9})\b")
_TASK_ID = re.compile(r"\btask\s+(?:id\s+)?#?(\d{1,9})\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CONTEXT_TICKET = re.compile(r"\(Context: .*?ticket #(\d{1,9})", re.IGNORECASE)
_CONTEXT_FILTER = re.compile(r"\(Context: .*?backlog filtered by ([^)]*)\)", re.IGNORECASE)
_NOTICE = re.compile(r"^\[Task update\].*?\btask (\d{1,9})\b", re.IGNORECASE | re.DOTALL)

GREETINGS = re.compile(r"^\s*(hi|hello|hey|thanks|thank you|help|what can you do)\b", re.I)


@dataclass(frozen=True)
class Filters:
    status: str = ""
    category: str = ""
    priority: str = ""
    created: str = ""

    @property
    def any(self) -> bool:
        return bool(self.status or self.category or self.priority or self.created)

    def arguments(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def describe(self) -> str:
        words = []
        if self.status and self.status != "active":
            words.append(self.status)
        elif self.status == "active":
            words.append("unresolved")
        if self.priority:
            words.append(self.priority + "-priority")
        if self.category:
            words.append(self.category.replace("_", " "))
        text = " ".join([*words, "tickets"])
        created = {
            "today": " from today",
            "yesterday": " from yesterday",
            "this_week": " from this week",
            "last_7_days": " from the last 7 days",
        }.get(self.created, "")
        return text + created


@dataclass(frozen=True)
class Intent:
    kind: str
    numbers: tuple[int, ...] = ()
    task_id: int | None = None
    filters: Filters = field(default_factory=Filters)
    text: str = ""  # instructions of a free-text task or a follow-up
    email: str = ""
    everything: bool = False  # "every ticket", "all tickets"


def _first(patterns: tuple[tuple[str, str], ...], text: str) -> str:
    for pattern, value in patterns:
        if re.search(pattern, text):
            return value
    return ""


def ticket_numbers(text: str) -> tuple[int, ...]:
    numbers: list[int] = []
    for match in _TICKET_NUMBER.finditer(text):
        numbers.append(int(match.group(1) or match.group(2)))
        for more in _MORE_NUMBERS.finditer(text, match.end()):
            if more.start() > match.end() + 40:
                break
            numbers.append(int(more.group(1)))
    return tuple(dict.fromkeys(numbers))


def _after_colon(text: str) -> str:
    _, colon, tail = text.partition(":")
    return tail.strip() if colon and tail.strip() else ""


def split_context(text: str) -> tuple[str, int | None, str]:
    """The request without the page context the portal appends, and that context's ticket
    number and backlog filter."""
    ticket = _CONTEXT_TICKET.search(text)
    backlog = _CONTEXT_FILTER.search(text)
    request = re.sub(r"\n*\(Context: [^)]*\)\s*$", "", text).strip()
    return request, int(ticket.group(1)) if ticket else None, backlog.group(1) if backlog else ""


def read_intent(raw: str) -> Intent:
    request, context_ticket, _ = split_context(raw)
    notice = _NOTICE.match(request)
    if notice:
        return Intent("notice", task_id=int(notice.group(1)))
    text = request.lower()
    numbers = ticket_numbers(text)
    task = _TASK_ID.search(text)
    task_id = int(task.group(1)) if task else None
    filters = Filters(
        status=_first(STATUS_WORDS, text),
        category=_first(CATEGORY_WORDS, text),
        priority=_first(PRIORITY_WORDS, text),
        created=_first(CREATED_WORDS, text),
    )
    everything = bool(re.search(r"\b(every|all)\b", text))
    if not numbers and task_id is None and context_ticket is not None:
        # "cancel the task here", "what's going on?" from a ticket page: that ticket.
        if re.search(r"\b(this|here|it)\b", text) or not filters.any:
            numbers = (context_ticket,)

    def target(kind: str, **more: object) -> Intent:
        return Intent(kind, numbers=numbers, task_id=task_id, filters=filters, **more)  # type: ignore[arg-type]

    if re.search(r"\bapprov", text) and not re.search(r"\b(investigate|cancel|retry)\b", text):
        return Intent("approvals")
    if re.search(r"\b(cancel|stop|abort)\b", text):
        return target("cancel")
    if re.search(r"\b(retry|run (it )?again|re-?run|try again|restart)\b", text):
        return target("retry")
    if re.search(r"\b(follow[- ]?up|tell the task|ask the task|send .* to (the )?task)\b", text):
        return target("follow_up", text=_after_colon(request))
    if re.search(
        r"^\s*(start|create|new|open)\s+(a\s+)?(free[- ]text\s+)?task\b", text
    ) or re.search(
        r"\b(draft|write|prepare)\b.*\b(runbook|article|summary|report|document)\b", text
    ):
        return target("start_task", text=_after_colon(request) or request)
    if re.search(r"\b(investigate|investigation|look into|work on|handle|triage)\b", text):
        return target("investigate", everything=everything)
    if re.search(r"\bhow many\b|\bcount\b|\bnumber of\b", text):
        return target("count")
    email = _EMAIL.search(request)
    if email or (re.search(r"\bcustomer\b", text) and not numbers):
        return Intent("customer", email=email.group(0) if email else "")
    if task_id is not None and not numbers:
        return target("task_status")
    if numbers:
        return target("ticket_status")
    if filters.any and re.search(r"\b(show|list|find|which|what|any)\b", text):
        return target("search")
    if GREETINGS.match(text):
        return Intent("help")
    return Intent("unknown")
