"""Tickets and their threads, and the agent work on them: tasks, to-dos, events, approvals."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models


class Ticket(models.Model):
    class Category(models.TextChoices):
        BILLING = "billing", "Billing"
        REFUND = "refund", "Refund request"
        SHIPPING = "shipping", "Shipping"
        DAMAGED_ITEM = "damaged_item", "Damaged item"
        ACCOUNT_ACCESS = "account_access", "Account access"
        BUG_REPORT = "bug_report", "Bug report"
        HOW_TO = "how_to", "How-to question"
        INVOICE = "invoice", "Invoice request"
        OTHER = "other", "Other"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING = "pending", "Pending customer"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    # Statuses a ticket can still be worked in.
    ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
    # Sort order of priorities, most urgent first.
    PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}

    number = models.PositiveIntegerField(unique=True)
    customer = models.ForeignKey(
        "tools_app.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # The address the ticket came from; kept even when it matches no known customer.
    requester_email = models.EmailField(blank=True, default="")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["category"]),
            models.Index(fields=["priority"]),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class TicketMessage(models.Model):
    class AuthorKind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        AGENT = "agent", "AI agent"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Internal note, never sent.")
    # Set for messages written by an agent tool call: a repeated call writes nothing new.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    task = models.ForeignKey(
        "Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_messages"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        kind = "note" if self.is_internal else "message"
        return f"{self.get_author_kind_display()} {kind} on #{self.ticket.number}"


class TicketChange(models.Model):
    """Audit trail of a ticket's status and assignee."""

    class Field(models.TextChoices):
        STATUS = "status", "Status"
        ASSIGNEE = "assignee", "Assignee"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=20, choices=Field.choices)
    old_value = models.CharField(max_length=150, blank=True, default="")
    new_value = models.CharField(max_length=150, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(
        "Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_changes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket.number} {self.field}: {self.old_value} -> {self.new_value}"


class Task(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        COMPLETED = "completed", "Completed"
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
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["ticket", "-created_at"]),
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


class ApprovalRequest(models.Model):
    """One exact action an agent asked a person to allow: tool, canonical arguments, task and
    run (``action``, hashed into ``digest``). It is decided once and used at most once; a new
    pause always makes a new request."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="approvals")
    run_number = models.PositiveIntegerField(default=1)
    tool_name = models.CharField(max_length=100)
    call_id = models.CharField(max_length=200)
    arguments = models.JSONField(default=dict)
    # What the approval covers, canonical (order number, decimal amount, reason, task, run),
    # and its SHA-256: execution pays only for a call whose own digest equals it.
    action = models.JSONField(default=dict)
    digest = models.CharField(max_length=64, blank=True, default="")
    # What the action touches ("order:<id>"): at most one pending request per subject.
    subject = models.CharField(max_length=100, blank=True, default="")
    summary = models.CharField(max_length=300)
    reason = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The refund this approval paid for, once executed (single use).
    refund = models.OneToOneField(
        "tools_app.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval_request",
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("decide_approvalrequest", "Can approve or reject agent actions")]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "call_id"],
                condition=models.Q(status="pending"),
                name="approval_one_pending_per_call",
            ),
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(status="pending") & ~models.Q(subject=""),
                name="approval_one_pending_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["task", "digest"])]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.summary}"


class ApiToken(models.Model):
    """A per-user API key. Only a hash is stored; the key is shown once when created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
