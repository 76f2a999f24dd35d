"""Approval requests: one exact action an agent asked a person to allow."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tasks.models.work import Task

# The tools whose calls wait for a person: what approvals, outcomes and summaries tell apart.
REFUND_TOOL = "issue_refund"
# The longest reply to a customer, as the agent drafts it or a person edits it.
MAX_REPLY = 20_000
REPLY_TOOL = "reply_to_customer"


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
    # Approved by an autonomy policy rather than a person: which one, at which version.
    decided_by_policy = models.ForeignKey(
        "tasks.AutonomyPolicy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approvals",
    )
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    # A reply draft a person edited before approving it: what is sent instead of the draft.
    approved_arguments = models.JSONField(null=True, blank=True)

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
