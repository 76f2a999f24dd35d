"""Reads the websocket consumers authorise with: who may follow tasks, and what exists."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from tasks.models import Task, Ticket


def live_user_allowed(user: Any) -> bool:
    """The portal's rule: signed-in, active staff see every task (as on the ticket pages)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
    )


def live_user_still_allowed(*, user_id: int) -> bool:
    """Re-checked from the database on each subscription: a socket outlives a session, and
    staff can be deactivated or lose staff status while it is open."""
    return get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).exists()


def live_task_exists(*, task_id: int) -> bool:
    return Task.objects.filter(pk=task_id).exists()


def live_ticket_exists(*, number: int) -> bool:
    return Ticket.objects.filter(number=number).exists()


def task_last_seq(*, task_id: int) -> int | None:
    return Task.objects.filter(pk=task_id).values_list("last_seq", flat=True).first()


def ticket_latest_task_id(*, number: int) -> int | None:
    """The task the ticket page's agent panel shows (its newest)."""
    return (
        Task.objects.filter(ticket__number=number)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
