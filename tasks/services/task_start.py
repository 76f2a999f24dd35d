"""Starting agent tasks: for a ticket, from free text, in bulk. A start stores the task and its
``task.created`` event, then wakes a worker after commit and returns at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from tasks.event_factories import (
    task_created_event,
)
from tasks.events import events_publish_on_commit, events_store
from tasks.models import Task, Ticket
from tools_app.errors import ApplicationError, RateLimited

logger = logging.getLogger(__name__)

TICKET_NOT_WORKABLE = "Only new, open or pending tickets can be investigated; reopen it first."
FREE_TEXT_REQUIRED = "Describe what the agent should do."
FREE_TEXT_TOO_LONG = "A task description is limited to 10,000 characters."
TICKET_MISSING = "No ticket with that number."
TASK_STARTS_LIMITED = (
    "You started {limit} tasks in the last minute, the most allowed; wait a moment and try again."
)

MAX_FREE_TEXT = 10_000
WAKE_MESSAGE_TYPE = "task.run"


def configured_model_name() -> str:
    """The display name of the model new tasks run on (the worker confirms it at claim)."""
    if settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL:
        return settings.TASK_MODEL
    return settings.OFFLINE_MODEL_NAME


def task_render_input(*, ticket: Ticket) -> str:
    """The first user message of a ticket task (format in notes/AGENT_CONTRACT.md). The body
    is the customer's own text, verbatim: the instructions tell the agent it is untrusted."""
    customer = ticket.customer
    if customer is not None:
        who = f"{customer.name} <{customer.email}> (customer id {customer.pk})"
    else:
        who = f"unknown (requester {ticket.requester_email or 'not given'})"
    return (
        f"Ticket #{ticket.number} (category: {ticket.category}, priority: {ticket.priority}, "
        f"status: {ticket.status})\n"
        f"Customer: {who}\n"
        f"Subject: {ticket.subject}\n"
        f"----\n"
        f"{ticket.body}"
    )


def task_wake_on_commit(task_id: int) -> None:
    """Sends the worker wake-up once the task row is committed. At-most-once and best effort:
    a lost wake-up only delays the task until a worker's sweep finds it queued."""

    def wake() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.send)(
                settings.WORKER_CHANNEL, {"type": WAKE_MESSAGE_TYPE, "task_id": task_id}
            )
        except Exception:
            logger.warning("Could not wake a worker for task %s", task_id, exc_info=True)

    transaction.on_commit(wake)


def _user_id(user: AbstractBaseUser | AnonymousUser | None) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def task_start_throttle(*, user_id: int | None) -> None:
    """Raises ``RateLimited`` when the user started ``TASK_STARTS_PER_MINUTE`` tasks in the last
    minute (counted from the database, so it holds across web processes)."""
    limit = settings.TASK_STARTS_PER_MINUTE
    if not limit or user_id is None:
        return
    since = timezone.now() - timedelta(seconds=60)
    recent = list(
        Task.objects.filter(created_by_id=user_id, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        oldest = recent[-1]
        wait = max(1, int((oldest + timedelta(seconds=60) - timezone.now()).total_seconds()) + 1)
        raise RateLimited(TASK_STARTS_LIMITED.format(limit=limit), retry_after=wait)


def _create(*, ticket: Ticket | None, title: str, input: str, user_id: int | None) -> Task:
    task_start_throttle(user_id=user_id)
    task = Task.objects.create(
        ticket=ticket,
        title=title[:300],
        input=input,
        status=Task.Status.QUEUED,
        model=configured_model_name(),
        created_by_id=user_id,
    )
    events = events_store(
        task_id=task.pk,
        events=[task_created_event(task, ticket_number=ticket.number if ticket else None)],
    )
    events_publish_on_commit(events)
    task_wake_on_commit(task.pk)
    return task


@transaction.atomic
def task_start_for_ticket(
    *, ticket: Ticket, user: AbstractBaseUser | AnonymousUser | None
) -> tuple[Task, bool]:
    """Queues an investigation of ``ticket``. Returns ``(task, created)``: when the ticket
    already has a queued, running or waiting task, that task and ``False``.

    The ticket row is locked first, so two concurrent starts cannot both create a task."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the customer outer join.
    locked = (
        Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
    )
    existing = (
        Task.objects.filter(ticket=locked, status__in=Task.ACTIVE_STATUSES)
        .order_by("-created_at", "-id")
        .first()
    )
    if existing is not None:
        return existing, False
    if not locked.is_active:
        raise ApplicationError(
            TICKET_NOT_WORKABLE, {"field": "ticket_number", "status": locked.status}
        )
    task = _create(
        ticket=locked,
        title=f"Investigate #{locked.number}: {locked.subject}",
        input=task_render_input(ticket=locked),
        user_id=_user_id(user),
    )
    return task, True


@transaction.atomic
def task_start_free_text(*, text: str, user: AbstractBaseUser | AnonymousUser | None) -> Task:
    """Queues a task with no ticket; ``text`` is the first user message, verbatim."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError(FREE_TEXT_REQUIRED, {"field": "input"})
    if len(text) > MAX_FREE_TEXT:
        raise ApplicationError(FREE_TEXT_TOO_LONG, {"field": "input"})
    first_line = text.splitlines()[0]
    title = first_line if len(first_line) <= 80 else first_line[:79] + "…"
    return _create(ticket=None, title=title, input=text, user_id=_user_id(user))


@dataclass
class BulkStartResult:
    started: list[Task] = field(default_factory=list)
    already_running: list[Task] = field(default_factory=list)
    # (ticket number, reason) for tickets that were not started.
    skipped: list[tuple[int, str]] = field(default_factory=list)


def task_bulk_start(
    *, numbers: list[int], user: AbstractBaseUser | AnonymousUser | None
) -> BulkStartResult:
    """Starts an investigation on each ticket number, each in its own transaction: one bad
    ticket never stops the others."""
    result = BulkStartResult()
    tickets = {t.number: t for t in Ticket.objects.filter(number__in=numbers)}
    for number in dict.fromkeys(numbers):
        ticket = tickets.get(number)
        if ticket is None:
            result.skipped.append((number, TICKET_MISSING))
            continue
        try:
            task, created = task_start_for_ticket(ticket=ticket, user=user)
        except ApplicationError as exc:
            result.skipped.append((number, exc.message))
            continue
        (result.started if created else result.already_running).append(task)
    return result
