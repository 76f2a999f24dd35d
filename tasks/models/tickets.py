"""Tickets and their threads: messages, internal notes, and the audit trail of changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EscalationQueue(models.Model):
    """Where tickets handed to people wait: team leads, billing, technical. A queue may name
    the person its tickets are assigned to; switching a queue off stops new escalations."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True, default="")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Escalated tickets are assigned to this person (empty: left to the queue).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    # Handed to people (escalate_to_human, or staff): which queue, why and when.
    escalation_queue = models.ForeignKey(
        "EscalationQueue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    escalation_reason = models.TextField(blank=True, default="")
    escalated_at = models.DateTimeField(null=True, blank=True)
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
        QUEUE = "queue", "Escalation queue"

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
