"""The copilot's conversations and what its read-only tools answer from: reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from tasks.models import (
    ApprovalRequest,
    Conversation,
    ConversationMessage,
    ConversationTask,
    Task,
    Ticket,
)
from tasks.models.approvals import REPLY_TOOL
from tasks.selectors import TicketFilters, ticket_list
from tools_app.models import Order

Msg = ConversationMessage

# Chat history sent to a model without server-side state: the last messages only.
HISTORY_MESSAGES = 40


def conversation_list(*, user_id: int) -> list[Conversation]:
    return list(Conversation.objects.filter(user_id=user_id))


def conversation_for_user(*, user_id: int, conversation_id: object) -> Conversation | None:
    """The conversation if it is ``user_id``'s own (anyone else's reads as missing)."""
    if isinstance(conversation_id, bool) or not isinstance(conversation_id, int):
        return None
    return Conversation.objects.filter(pk=conversation_id, user_id=user_id).first()


def conversation_messages(*, conversation_id: int, after_seq: int = 0) -> list[Msg]:
    """Messages new or changed after ``after_seq``, in order of their latest change."""
    return list(
        Msg.objects.filter(conversation_id=conversation_id, seq__gt=after_seq).order_by("seq")
    )


def conversation_thread(*, conversation_id: int) -> list[Msg]:
    """Every message, in the order they were written."""
    return list(Msg.objects.filter(conversation_id=conversation_id).order_by("created_at", "id"))


def conversation_history(*, conversation_id: int, before: Msg) -> list[Msg]:
    """What the model is given before ``before``: answered questions, notices and complete
    answers (a failed or interrupted answer is left out), the newest ``HISTORY_MESSAGES``."""
    qs = (
        Msg.objects.filter(conversation_id=conversation_id, created_at__lte=before.created_at)
        .exclude(pk=before.pk)
        .exclude(status__in=(Msg.Status.QUEUED, Msg.Status.ANSWERING, Msg.Status.FAILED))
        .exclude(role=Msg.Role.ASSISTANT, status=Msg.Status.INTERRUPTED)
        .exclude(body="")
        .order_by("-created_at", "-id")
    )
    return list(reversed(qs[:HISTORY_MESSAGES]))


def conversation_delegations(*, conversation_id: int) -> dict[int | None, list[int]]:
    """Task ids the conversation delegated, by the assistant message that delegated them."""
    cards: dict[int | None, list[int]] = {}
    for message_id, task_id in ConversationTask.objects.filter(
        conversation_id=conversation_id
    ).values_list("message_id", "task_id"):
        cards.setdefault(message_id, []).append(task_id)
    return cards


def conversation_task_ids(*, conversation_id: int) -> list[int]:
    return list(
        ConversationTask.objects.filter(conversation_id=conversation_id).values_list(
            "task_id", flat=True
        )
    )


def unseen_notices(*, user_id: int) -> int:
    total = Conversation.objects.filter(user_id=user_id).aggregate(n=Sum("unseen_notices"))["n"]
    return int(total or 0)


# --- what the copilot's tools read ----------------------------------------------------------


CREATED_RANGES = ("today", "yesterday", "last_7_days", "this_week")


def created_since(created: str, *, now: Any = None) -> tuple[Any, Any] | None:
    """``(start, end)`` of a named range in the server's time zone, or None for any time."""
    now = timezone.localtime(now or timezone.now())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if created == "today":
        return midnight, None
    if created == "yesterday":
        return midnight - timedelta(days=1), midnight
    if created == "last_7_days":
        return now - timedelta(days=7), None
    if created == "this_week":
        return midnight - timedelta(days=midnight.weekday()), None
    return None


def copilot_tickets(
    *, status: str = "", category: str = "", priority: str = "", q: str = "", created: str = ""
) -> Any:
    """Tickets for the copilot's search and counts (the backlog's own filters)."""
    qs = ticket_list(
        filters=TicketFilters(status=status, category=category, priority=priority, q=q)
    )
    window = created_since(created)
    if window is not None:
        start, end = window
        qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lt=end)
    return qs


def latest_task(*, ticket_id: int) -> Task | None:
    return Task.objects.filter(ticket_id=ticket_id).order_by("-created_at", "-id").first()


def task_for_copilot(
    *, task_id: int | None = None, ticket_number: int | None = None
) -> Task | None:
    """A task by id, or the latest task of a ticket."""
    if task_id is not None:
        return Task.objects.select_related("ticket").filter(pk=task_id).first()
    if ticket_number is not None:
        return (
            Task.objects.select_related("ticket")
            .filter(ticket__number=ticket_number)
            .order_by("-created_at", "-id")
            .first()
        )
    return None


def ticket_by_number(*, number: int) -> Ticket | None:
    return Ticket.objects.select_related("customer", "assignee").filter(number=number).first()


def _amount(raw: object) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


@dataclass
class PendingApprovals:
    count: int = 0
    total: Decimal = Decimal("0")
    currencies: set[str] = field(default_factory=set)
    items: list[ApprovalRequest] = field(default_factory=list)
    # Reply drafts waiting for review (tasks.services.task_replies).
    reply_drafts: int = 0


def pending_approvals(*, limit: int = 20) -> PendingApprovals:
    """Refund requests waiting for a person: how many, the money they ask for, the oldest; and
    how many reply drafts wait for review (counted apart: they move no money)."""
    qs = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).select_related(
        "task", "task__ticket"
    )
    result = PendingApprovals()
    order_ids = set()
    for approval in qs.order_by("created_at", "id"):
        if approval.tool_name == REPLY_TOOL:
            result.reply_drafts += 1
            continue
        result.count += 1
        arguments = (approval.action or {}).get("arguments") or approval.arguments or {}
        amount = _amount(arguments.get("amount"))
        if amount is not None:
            result.total += amount
        kind, _, order_id = approval.subject.partition(":")
        if kind == "order" and order_id.isdecimal():
            order_ids.add(int(order_id))
        if len(result.items) < limit:
            result.items.append(approval)
    if order_ids:
        result.currencies = set(
            Order.objects.filter(pk__in=order_ids).values_list("currency", flat=True)
        )
    return result
