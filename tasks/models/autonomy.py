"""How much the agents may do without a person, per ticket category: autonomy policies that
approve narrow classes of action on their own (audited, versioned, approved by a second
person, switched off at once), and which categories' replies wait for a person's review."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from tasks.models.tickets import Ticket


class AutonomyPolicy(models.Model):
    """Auto-approves one narrow class of action up to a limit. Only a version that a second
    approver approved applies (four-eyes: ``approved_by`` is not ``edited_by``); any edit makes
    a new version that needs approving again; switching off applies at once."""

    class ActionClass(models.TextChoices):
        DUPLICATE_SUBSCRIPTION_REFUND = (
            "duplicate_subscription_refund",
            "Refund of a duplicate subscription charge (same customer, period and amount)",
        )
        SMALL_REFUND = "small_refund", "Any refund the refund policy allows, up to the limit"

    name = models.CharField(max_length=120, unique=True)
    action_class = models.CharField(max_length=40, choices=ActionClass.choices)
    max_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="The largest amount one action may have (more goes to a person).",
    )
    categories = models.JSONField(
        default=list,
        blank=True,
        help_text="Ticket categories it applies to; empty: every category.",
    )
    enabled = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "autonomy policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_amount__gt=0), name="autonomy_policy_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def active(self) -> bool:
        return bool(
            self.enabled and self.approved_by_id and self.approved_by_id != self.edited_by_id
        )


class AutonomyPolicyChange(models.Model):
    """The audit trail of a policy: every edit, approval and switch, with the version it made
    and what the policy said then."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        APPROVED = "approved", "Approved"
        SWITCHED_OFF = "switched_off", "Switched off"

    policy = models.ForeignKey(AutonomyPolicy, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField()
    snapshot = models.JSONField(default=dict)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.policy.name} v{self.version}: {self.get_kind_display()}"


class ReplyReview(models.Model):
    """Replies on tickets of this category wait for a person's approval (shown with the draft,
    editable) before they are sent."""

    category = models.CharField(max_length=20, choices=Ticket.Category.choices, unique=True)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category"]
        verbose_name = "reply review by category"
        verbose_name_plural = "reply reviews by category"

    def __str__(self) -> str:
        state = "reviewed" if self.enabled else "sent directly"
        return f"{self.get_category_display()}: replies {state}"
