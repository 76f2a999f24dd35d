"""Reads of the team dashboard: every active and recent task with its progress, counts by
status and pending approvals, in a fixed number of queries however many tasks there are."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Min, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tasks.models import ApprovalRequest, Task, Ticket, Todo

ACTIVE_LIMIT = 200
FINISHED_LIMIT = 30
APPROVALS_LIMIT = 20
ESCALATIONS_LIMIT = 10
SEQS_LIMIT = 2000

# What a task without a to-do in progress is doing, by status.
STEP_BY_STATUS = {
    Task.Status.QUEUED: "Waiting for a worker",
    Task.Status.RUNNING: "Planning",
    Task.Status.AWAITING_APPROVAL: "Waiting for an approver",
    Task.Status.CANCELLED: "Cancelled",
}
# What a finished task came to, in a few words (its outcome's badge says it in one).
STEP_BY_OUTCOME = {
    Task.Outcome.RESOLVED: "Replied to the customer",
    Task.Outcome.REFUNDED: "Refund paid",
    Task.Outcome.REFUSED: "A refund it asked for was refused",
    Task.Outcome.ESCALATED: "Handed to a person",
    Task.Outcome.NEEDS_PERSON: "Left for a person to finish",
    Task.Outcome.CANCELLED: "Cancelled",
}
STATUS_ORDER = [value for value, _ in Task.Status.choices]
# Task fields the dashboard never shows, and that grow with the conversation.
HEAVY_FIELDS = ("history", "run_state", "input", "final_output", "ticket__body")


@dataclass
class DashboardRow:
    task: Task
    todo_total: int
    todo_done: int
    step_doing: str | None
    step_next: str | None

    @property
    def is_active(self) -> bool:
        return self.task.is_active

    @property
    def progress(self) -> int:
        return round(100 * self.todo_done / self.todo_total) if self.todo_total else 0

    @property
    def current_step(self) -> str:
        task = self.task
        if task.status == Task.Status.FAILED:
            return task.error or "Failed"
        if task.status == Task.Status.RUNNING and (self.step_doing or self.step_next):
            return self.step_doing or self.step_next or ""
        if task.status == Task.Status.RUNNING and task.cancel_requested:
            return "Cancelling after this step"
        if task.status == Task.Status.COMPLETED:
            return (
                STEP_BY_OUTCOME.get(Task.Outcome(task.outcome), "Completed")
                if task.outcome
                else "Completed"
            )
        return STEP_BY_STATUS.get(Task.Status(task.status), "")

    @property
    def since(self) -> datetime:
        return self.task.started_at or self.task.created_at

    @property
    def elapsed(self) -> timedelta:
        end = self.task.finished_at if not self.is_active else None
        return (end or timezone.now()) - self.since


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


@dataclass
class DashboardBoard:
    active: list[DashboardRow]
    finished: list[DashboardRow]
    counts: list[StatusCount]
    approvals: list[ApprovalRequest]
    approvals_total: int
    # When the board was read (ms): a live update rendered earlier is older than it.
    version: int = field(default_factory=lambda: dashboard_version())
    finished_limit: int = FINISHED_LIMIT
    escalations: list[Ticket] = field(default_factory=list)
    escalations_total: int = 0


def dashboard_version() -> int:
    """A version for dashboard-wide parts (counts, approvals): the time they are read, in
    milliseconds. Taken before the reads, so a part never claims to be newer than it is."""
    return int(time.time() * 1000)


def _todo_text(status: str) -> Subquery:
    todos = Todo.objects.filter(task=OuterRef("pk"), status=status).order_by("position")
    return Subquery(todos.values("text")[:1])


def _todo_count(*statuses: str) -> Coalesce:
    todos = Todo.objects.filter(task=OuterRef("pk"))
    if statuses:
        todos = todos.filter(status__in=statuses)
    counted = todos.order_by().values("task").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1]), 0)


def _rows(qs: QuerySet[Task], limit: int | None = None) -> list[DashboardRow]:
    # Subqueries rather than a join and GROUP BY over every task column (the conversation
    # history among them), which made each row read cost tens of milliseconds.
    annotated = (
        qs.select_related("ticket")
        .defer(*HEAVY_FIELDS)
        .annotate(
            todo_total=_todo_count(),
            todo_done=_todo_count(Todo.Status.DONE, Todo.Status.SKIPPED),
            step_doing=_todo_text(Todo.Status.IN_PROGRESS),
            step_next=_todo_text(Todo.Status.PENDING),
        )
    )
    if limit is not None:
        annotated = annotated[:limit]
    return [
        DashboardRow(
            task=task,
            todo_total=task.todo_total,
            todo_done=task.todo_done,
            step_doing=task.step_doing,
            step_next=task.step_next,
        )
        for task in annotated
    ]


def dashboard_rows(*, task_ids: Iterable[int]) -> dict[int, DashboardRow]:
    """The rows of these tasks, by id (one query)."""
    return {row.task.pk: row for row in _rows(Task.objects.filter(pk__in=list(task_ids)))}


def dashboard_counts() -> list[StatusCount]:
    rows = Task.objects.order_by().values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    return [StatusCount(value, label, counts.get(value, 0)) for value, label in Task.Status.choices]


def dashboard_approvals() -> tuple[list[ApprovalRequest], int]:
    """The oldest pending approvals (they have waited longest) and how many there are."""
    pending = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING)
    shown = list(
        pending.select_related("task", "task__ticket").order_by("created_at", "id")[
            :APPROVALS_LIMIT
        ]
    )
    total = len(shown) if len(shown) < APPROVALS_LIMIT else pending.count()
    return shown, total


def dashboard_task_seqs() -> dict[int, int]:
    """The last seq of every active task and of every finished task the board shows (a Retry
    or a follow-up may start it again, however long ago it finished): two queries."""
    active = Task.objects.filter(status__in=Task.ACTIVE_STATUSES).values_list("pk", "last_seq")
    finished = (
        Task.objects.filter(status__in=Task.FINISHED_STATUSES)
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .values_list("pk", "last_seq")
    )
    return {**dict(finished[:FINISHED_LIMIT]), **dict(active[:SEQS_LIMIT])}


def dashboard_board() -> DashboardBoard:
    """Active tasks (newest first), then the most recently finished."""
    version = dashboard_version()
    active = _rows(
        Task.objects.filter(status__in=Task.ACTIVE_STATUSES).order_by("-created_at", "-id"),
        ACTIVE_LIMIT,
    )
    finished = _rows(
        Task.objects.filter(status__in=Task.FINISHED_STATUSES).order_by(
            F("finished_at").desc(nulls_last=True), "-id"
        ),
        FINISHED_LIMIT,
    )
    approvals, total = dashboard_approvals()
    escalations, escalations_total = dashboard_escalations()
    return DashboardBoard(
        active=active,
        finished=finished,
        counts=dashboard_counts(),
        approvals=approvals,
        approvals_total=total,
        version=version,
        escalations=escalations,
        escalations_total=escalations_total,
    )


def dashboard_escalations() -> tuple[list[Ticket], int]:
    """Open tickets handed to people, most recently escalated first, and how many there are."""
    waiting = Ticket.objects.filter(
        escalation_queue__isnull=False, status__in=Ticket.ACTIVE_STATUSES
    )
    shown = list(
        waiting.select_related("escalation_queue", "assignee").order_by("-escalated_at", "-id")[
            :ESCALATIONS_LIMIT
        ]
    )
    total = len(shown) if len(shown) < ESCALATIONS_LIMIT else waiting.count()
    return shown, total


def operations_snapshot() -> dict[str, Any]:
    """What /metrics reports from the database, in two queries: tasks by status, and the
    pending approvals with the age of the oldest."""
    counts = {value: 0 for value, _ in Task.Status.choices}
    for row in Task.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    pending = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).aggregate(
        n=Count("id"), oldest=Min("created_at")
    )
    oldest = pending["oldest"]
    return {
        "tasks": counts,
        "approvals_pending": pending["n"] or 0,
        "oldest_approval_seconds": (timezone.now() - oldest).total_seconds() if oldest else 0.0,
    }
