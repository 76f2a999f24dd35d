"""Approval requests: where approvers see what an agent wants to do and why.

The list puts pending requests first. Deciding (approve / reject with a note) is added on top
of this class: give it ``actions`` and widen ``has_change_permission`` for users with
``tasks.decide_approvalrequest``; the evidence fields below stay as they are."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest

from tasks.admin.common import ReadOnlyAdminMixin, admin_link, pretty_json
from tasks.models import ApprovalRequest

# Sort rank of each status in the list: what needs a decision comes first.
STATUS_RANK = {
    ApprovalRequest.Status.PENDING: 0,
    ApprovalRequest.Status.APPROVED: 1,
    ApprovalRequest.Status.REJECTED: 1,
    ApprovalRequest.Status.EXPIRED: 2,
}


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "summary",
        "status_column",
        "amount",
        "customer",
        "order_number",
        "task_link",
        "created_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "created_at", "tool_name")
    search_fields = (
        "summary",
        "reason",
        "call_id",
        "=task__id",
        "=task__ticket__number",
        "task__ticket__customer__name",
        "task__ticket__customer__email",
    )
    list_select_related = ("task__ticket__customer", "decided_by")
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("summary", "status", "tool_name", "reason")}),
        (
            "Evidence",
            {"fields": ("amount", "order_number", "customer", "task_link", "arguments_json")},
        ),
        ("Decision", {"fields": ("decided_by", "decided_at", "note", "expires_at")}),
        ("Call", {"classes": ("collapse",), "fields": ("call_id", "created_at")}),
    )
    readonly_fields = (
        "summary",
        "status",
        "tool_name",
        "reason",
        "amount",
        "order_number",
        "customer",
        "task_link",
        "arguments_json",
        "decided_by",
        "decided_at",
        "note",
        "expires_at",
        "call_id",
        "created_at",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A decision is part of the audit trail; expired requests are kept too.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApprovalRequest]:
        rank = Case(
            *(When(status=status, then=Value(r)) for status, r in STATUS_RANK.items()),
            default=Value(9),
            output_field=IntegerField(),
        )
        # Annotate before ordering (ModelAdmin.get_queryset orders straight away).
        qs = self.model._default_manager.get_queryset().annotate(status_rank=rank)
        return qs.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        return ("status_rank", "-created_at")

    @admin.display(description="Status", ordering="status_rank")
    def status_column(self, obj: ApprovalRequest) -> str:
        return obj.get_status_display()

    @admin.display(description="Amount")
    def amount(self, obj: ApprovalRequest) -> str:
        value = _argument(obj, "amount")
        return f"{value} {_argument(obj, 'currency') or ''}".strip() if value else "-"

    @admin.display(description="Order")
    def order_number(self, obj: ApprovalRequest) -> str:
        return _argument(obj, "order_number") or "-"

    @admin.display(description="Customer", ordering="task__ticket__customer__name")
    def customer(self, obj: ApprovalRequest) -> Any:
        ticket = obj.task.ticket
        return admin_link(ticket.customer if ticket else None)

    @admin.display(description="Task", ordering="task_id")
    def task_link(self, obj: ApprovalRequest) -> Any:
        ticket = obj.task.ticket
        suffix = f" (ticket #{ticket.number})" if ticket else ""
        return admin_link(obj.task, f"Task {obj.task_id}{suffix}")

    @admin.display(description="Arguments")
    def arguments_json(self, obj: ApprovalRequest) -> Any:
        return pretty_json(obj.arguments)


def _argument(obj: ApprovalRequest, name: str) -> str:
    # The arguments are the model's tool call: show them as text, whatever their type.
    arguments = obj.arguments if isinstance(obj.arguments, dict) else {}
    value = arguments.get(name)
    return "" if value is None else str(value)
