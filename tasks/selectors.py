"""Reads over tickets and their threads."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from tasks.models import EscalationQueue, Task, TaskEvent, Ticket, TicketChange, TicketMessage
from tasks.services.task_ticket_actions import task_call_key
from tools_app.errors import ApplicationError
from tools_app.models import Refund

TICKET_NOT_FOUND = "No ticket with that number."

SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "priority": ("priority_rank", "-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
    "number": ("number",),
}


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""
    category: str = ""
    priority: str = ""
    # A user id, "me" is resolved by the caller, "none" means unassigned.
    assignee: str = ""
    # An escalation queue's slug, "any" for every escalated ticket.
    queue: str = ""
    q: str = ""
    sort: str = "priority"
    customer_id: int | None = None


def _search(qs: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """Every word must appear in the subject, body, requester or customer, or be the number."""
    for word in q.split()[:8]:
        condition = (
            Q(subject__icontains=word)
            | Q(body__icontains=word)
            | Q(requester_email__icontains=word)
            | Q(customer__name__icontains=word)
        )
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if word.lstrip("#").isdecimal():
            condition |= Q(number=int(word.lstrip("#")))
        qs = qs.filter(condition)
    return qs


def ticket_list(*, filters: TicketFilters) -> QuerySet[Ticket]:
    qs = Ticket.objects.select_related("customer", "assignee", "escalation_queue")
    if filters.status == "active":
        qs = qs.filter(status__in=Ticket.ACTIVE_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee.isdecimal():
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.queue == "any":
        qs = qs.filter(escalation_queue__isnull=False)
    elif filters.queue:
        qs = qs.filter(escalation_queue__slug=filters.queue)
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.q.strip():
        qs = _search(qs, filters.q.strip())
    rank = Case(
        *(When(priority=p, then=Value(r)) for p, r in Ticket.PRIORITY_RANK.items()),
        default=Value(9),
        output_field=IntegerField(),
    )
    return qs.annotate(priority_rank=rank).order_by(*SORTS.get(filters.sort, SORTS["priority"]))


def ticket_status_counts(*, filters: TicketFilters) -> dict[str, int]:
    """Counts per status for the current filters (ignoring the status filter), in one query."""
    base = ticket_list(filters=TicketFilters(**{**filters.__dict__, "status": ""}))
    rows = base.order_by().values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in Ticket.Status.values}
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["active"] = sum(counts[s] for s in Ticket.ACTIVE_STATUSES)
    counts["all"] = sum(counts[s] for s in Ticket.Status.values)
    return counts


def ticket_get(*, number: int) -> Ticket:
    ticket = (
        Ticket.objects.select_related("customer", "assignee", "escalation_queue")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise ApplicationError(TICKET_NOT_FOUND, {"field": "number", "value": number})
    return ticket


def ticket_get_by_id(*, ticket_id: int) -> Ticket:
    """One ticket by primary key (agent tools know ids from the run context, not numbers)."""
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None:
        raise ApplicationError(TICKET_NOT_FOUND, {"field": "ticket"})
    return ticket


def ticket_search(*, query: str, customer_id: int | None = None, limit: int = 10) -> list[Ticket]:
    qs = Ticket.objects.select_related("customer")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return list(_search(qs, query).order_by("-created_at")[:limit])


def ticket_thread(*, ticket_id: int, include_internal: bool = True) -> QuerySet[TicketMessage]:
    qs = TicketMessage.objects.filter(ticket_id=ticket_id).select_related("author")
    if not include_internal:
        qs = qs.filter(is_internal=False)
    return qs.order_by("created_at", "id")


def staff_users() -> QuerySet[AbstractUser]:
    User = get_user_model()
    return User.objects.filter(is_staff=True, is_active=True).order_by("username")


def ticket_change_list(*, ticket_id: int) -> QuerySet[TicketChange]:
    """The ticket's status and assignee history, oldest first."""
    return (
        TicketChange.objects.filter(ticket_id=ticket_id)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def ticket_changed_by_task(*, task_id: int, after_seq: int) -> bool:
    """Whether the task wrote to its ticket (a reply, a note, a status or assignee change) or
    refunded one of its orders since its event ``after_seq`` was stored: what the ticket page
    shows outside the panel."""
    since = (
        TaskEvent.objects.filter(task_id=task_id, seq=after_seq)
        .values_list("created_at", flat=True)
        .first()
    )
    messages = TicketMessage.objects.filter(task_id=task_id)
    changes = TicketChange.objects.filter(task_id=task_id)
    refunds = Refund.objects.filter(task_id=task_id)
    if since is not None:
        messages = messages.filter(created_at__gte=since)
        changes = changes.filter(created_at__gte=since)
        refunds = refunds.filter(created_at__gte=since)
    return messages.exists() or changes.exists() or refunds.exists()


def ticket_recent_tasks(*, ticket_id: int, limit: int = 5) -> list[Task]:
    """The ticket's newest agent tasks with their to-dos (two queries whatever the count)."""
    qs = Task.objects.filter(ticket_id=ticket_id).prefetch_related("todos").order_by("-created_at")
    return list(qs[:limit])


def task_posted_messages(*, task_id: int, run_number: int = 1) -> list[tuple[str, TicketMessage]]:
    """The replies and notes the run's tool calls posted, oldest first, with their call ids."""
    prefix = task_call_key(task_id=task_id, run_number=run_number, call_id="")
    messages = TicketMessage.objects.filter(
        task_id=task_id, idempotency_key__startswith=prefix
    ).order_by("created_at", "pk")
    return [(str(m.idempotency_key).removeprefix(prefix), m) for m in messages]


def escalation_queue_choices() -> list[tuple[str, str]]:
    """(slug, name) of every escalation queue, for filters."""
    return list(EscalationQueue.objects.order_by("name").values_list("slug", "name"))
