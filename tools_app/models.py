"""The business systems agents act on: customers, orders, refunds and the knowledge base."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Customer(models.Model):
    class Plan(models.TextChoices):
        FREE = "free", "Free"
        STARTER = "starter", "Starter"
        PRO = "pro", "Pro"
        BUSINESS = "business", "Business"

    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    username = models.CharField(max_length=150, unique=True)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.FREE)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Order(models.Model):
    class Kind(models.TextChoices):
        ONE_OFF = "one_off", "One-off purchase"
        SUBSCRIPTION = "subscription", "Subscription charge"

    class Status(models.TextChoices):
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ONE_OFF)
    description = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PAID)
    # "2026-10" for a monthly subscription charge; blank for one-off purchases.
    billing_period = models.CharField(max_length=7, blank=True, default="")
    charged_at = models.DateTimeField()
    shipped_at = models.DateTimeField(null=True, blank=True)
    expected_delivery = models.DateField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["-charged_at"]
        indexes = [models.Index(fields=["customer", "-charged_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="order_refunded_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.amount} {self.currency})"

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount


class Refund(models.Model):
    class Status(models.TextChoices):
        EXECUTED = "executed", "Executed"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.EXECUTED)
    # Derived from the task and the tool call id: the same call can never refund twice.
    idempotency_key = models.CharField(max_length=200, unique=True)
    task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="refunds"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    executed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} on {self.order.number}"


class Article(models.Model):
    class Kind(models.TextChoices):
        RUNBOOK = "runbook", "Runbook"
        POLICY = "policy", "Policy"
        DOCUMENT = "document", "Document"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    slug = models.SlugField(max_length=120, unique=True)
    # For runbooks: the ticket category they cover. Free-form topic otherwise.
    category = models.CharField(max_length=40, blank=True, default="")
    title = models.CharField(max_length=200)
    body = models.TextField()
    # Machine-readable rules of a policy (e.g. refund window and limits) that tools enforce.
    rules = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by_task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "title"]
        indexes = [models.Index(fields=["kind", "category"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title} (v{self.version})"


class ToolSetting(models.Model):
    """A registered agent tool as staff see it in the admin (``tools_app.registry``): its risk
    and permission (from the code, refreshed after each migrate) and whether agents may use it
    (staff switch it; every change is in the admin's history)."""

    class Risk(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"
        MONEY = "money", "Money"

    name = models.CharField(max_length=64, unique=True)
    enabled = models.BooleanField(
        default=True,
        help_text="Off: no agent is offered the tool; a call to it gets an error result.",
    )
    risk = models.CharField(max_length=10, choices=Risk.choices)
    permission = models.CharField(
        max_length=150, blank=True, default="", help_text="What the task's starter needs."
    )
    description = models.CharField(max_length=300, blank=True, default="")
    required = models.BooleanField(
        default=False, help_text="Every run needs it: it cannot be switched off."
    )
    registered = models.BooleanField(
        default=True, help_text="False: the code no longer has this tool."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enabled=True) | Q(required=False), name="toolsetting_required_on"
            ),
        ]

    def __str__(self) -> str:
        return self.name
