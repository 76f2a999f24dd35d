"""The agent work on tickets: tasks, their to-dos and their events."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from tasks.models.tickets import Ticket


class Task(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Outcome(models.TextChoices):
        """What a finished task came to, derived from what its runs did (set as it finishes:
        tasks.services.task_outcome)."""

        RESOLVED = "resolved", "Resolved"
        REFUNDED = "refunded", "Refunded"
        REFUSED = "refused", "Refused"
        ESCALATED = "escalated", "Escalated"
        NEEDS_PERSON = "needs_person", "Needs a person"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING, Status.AWAITING_APPROVAL)
    FINISHED_STATUSES = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(max_length=300)
    input = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    model = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    # Which run of the task this is: a follow-up or a Retry starts a new one (a resume after
    # approval, or a replay after a worker died, continues the same). Approvals are bound to it.
    run_number = models.PositiveIntegerField(default=1)
    cancel_requested = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=100, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    previous_response_id = models.CharField(max_length=200, blank=True, default="")
    # The conversation so far (SDK input items), so a run can continue or be resumed.
    history = models.JSONField(default=list, blank=True)
    run_state = models.TextField(blank=True, default="")
    run_state_version = models.PositiveIntegerField(default=0)
    final_output = models.TextField(blank=True, default="")
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    error = models.TextField(blank=True, default="")
    # An input guardrail flagged the task (tasks.agents.guardrails): a person should review it.
    needs_review = models.BooleanField(default=False)
    review_reason = models.TextField(blank=True, default="")
    # Set when the task finishes; a follow-up or a Retry sets it again when it finishes again.
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            # Who starts a task decides whether its agent may refund (issue_refund is offered
            # only then, and only for ticket categories that allow refunds).
            ("start_refund_work", "Can start tasks whose agent may refund customers"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["ticket", "-created_at"]),
            # Insights read finished tasks by date range.
            models.Index(fields=["finished_at"], name="task_finished_at"),
        ]

    def __str__(self) -> str:
        return f"Task {self.pk}: {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class Todo(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="todos")
    position = models.PositiveIntegerField()
    text = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["task", "position"], name="todo_unique_position"),
        ]

    def __str__(self) -> str:
        return f"[{self.status}] {self.text}"


class TaskEvent(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=50)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["task", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["task", "seq"], name="task_event_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}#{self.seq} {self.type}"
