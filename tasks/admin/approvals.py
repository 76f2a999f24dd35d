"""Approval requests: where approvers see what an agent wants to do and why, and decide.

The list puts pending requests first (filters: status, age, tool). The detail page shows the
evidence (customer, order, same-period charges, the agent's reason, the refund policy and how
the request measures against it, links to the live task and the ticket) and, for approvers,
Approve / Reject buttons with a note. Bulk Approve / Reject (no note) are list actions.

Every decision goes through ``approval_decide``: permission-checked, single-use, audited. The
rows themselves stay read-only here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from tasks.admin.common import ReadOnlyAdminMixin, admin_link, pretty_json
from tasks.approval_selectors import approval_evidence
from tasks.models import ApprovalRequest
from tasks.services.approvals import (
    APPROVAL_NOT_FOUND,
    EDITABLE_TOOL,
    approval_decide,
    decider_name,
    user_can_decide,
    user_started_task,
)
from tools_app.errors import ApplicationError

# Sort rank of each status in the list: what needs a decision comes first.
STATUS_RANK = {
    ApprovalRequest.Status.PENDING: 0,
    ApprovalRequest.Status.APPROVED: 1,
    ApprovalRequest.Status.REJECTED: 1,
    ApprovalRequest.Status.EXPIRED: 2,
}

DECIDED_APPROVED = (
    "Approved: {summary}. The agent resumes once every request of its task is decided."
)
DECIDED_REJECTED = "Rejected: {summary}. The agent is told, with your note."
DECISION_MISSING = "Choose Approve or Reject."
BULK_DECIDED = "{verb} {count} request(s)."
BULK_SKIPPED = "Skipped {count}: {details}"


class AgeFilter(admin.SimpleListFilter):
    """How long ago the agent asked: what is about to expire stands out."""

    title = "age"
    parameter_name = "age"
    LIMITS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24)}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("1h", "Less than 1 hour"),
            ("24h", "Less than 24 hours"),
            ("older", "Older than 24 hours"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        value = self.value()
        if value in self.LIMITS:
            return queryset.filter(created_at__gte=now - self.LIMITS[value])
        if value == "older":
            return queryset.filter(created_at__lt=now - self.LIMITS["24h"])
        return queryset


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
        "decider",
        "decided_at",
    )
    list_filter = ("status", AgeFilter, "tool_name")
    search_fields = (
        "summary",
        "reason",
        "call_id",
        "=task__id",
        "=task__ticket__number",
        "task__ticket__customer__name",
        "task__ticket__customer__email",
    )
    list_select_related = ("task__ticket__customer", "decided_by", "decided_by_policy")
    date_hierarchy = "created_at"
    actions = ("approve_selected", "reject_selected")
    fieldsets = (
        (None, {"fields": ("summary", "status", "tool_name", "reason", "run_number", "digest")}),
        (
            "Evidence",
            {"fields": ("amount", "order_number", "customer", "task_link", "arguments_json")},
        ),
        (
            "Decision",
            {"fields": ("decider", "decided_at", "note", "expires_at", "approved_arguments")},
        ),
        ("Call", {"classes": ("collapse",), "fields": ("call_id", "created_at")}),
    )
    readonly_fields = (
        "summary",
        "status",
        "tool_name",
        "reason",
        "run_number",
        "digest",
        "amount",
        "order_number",
        "customer",
        "task_link",
        "arguments_json",
        "decider",
        "decided_at",
        "note",
        "expires_at",
        "approved_arguments",
        "call_id",
        "created_at",
    )

    @admin.display(description="decided by", ordering="decided_by")
    def decider(self, obj: ApprovalRequest) -> str:
        """The person, the autonomy policy (with its version) or the expiry clock."""
        if obj.decided_at is None:
            return "-"
        return decider_name(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A decision is part of the audit trail; expired requests are kept too.
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may decide a request may see it (and its evidence).
        return super().has_view_permission(request, obj) or self.has_decide_permission(request)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """Approvers only (``tasks.decide_approvalrequest``); gates the actions and buttons."""
        return user_can_decide(request.user)

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

    # --- deciding ---------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        decide = path(
            "<path:object_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="{}_{}_decide".format(*info),
        )
        return [decide, *super().get_urls()]

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST ``decision`` (approve | reject) and an optional ``note`` for one request."""
        if not self.has_decide_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        approval = self.get_object(request, unquote(object_id))
        if approval is None:
            raise Http404(APPROVAL_NOT_FOUND)
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[approval.pk]
        )
        decision = request.POST.get("decision", "")
        if decision not in ("approve", "reject"):
            self.message_user(request, DECISION_MISSING, messages.ERROR)
            return HttpResponseRedirect(change_url)
        try:
            decided = approval_decide(
                approval_id=approval.pk,
                user=request.user,
                approve=decision == "approve",
                note=request.POST.get("note", ""),
                # A reply draft as the approver left it in the form (sent if they changed it).
                edited_body=request.POST.get("body")
                if approval.tool_name == EDITABLE_TOOL
                else None,
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            done = DECIDED_APPROVED if decision == "approve" else DECIDED_REJECTED
            self.message_user(request, done.format(summary=decided.summary), messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    @admin.action(description="Approve selected requests", permissions=["decide"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[ApprovalRequest]) -> None:
        self._decide_many(request, queryset, approve=True)

    @admin.action(description="Reject selected requests (no note)", permissions=["decide"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[ApprovalRequest]) -> None:
        self._decide_many(request, queryset, approve=False)

    def _decide_many(
        self, request: HttpRequest, queryset: QuerySet[ApprovalRequest], *, approve: bool
    ) -> None:
        decided, skipped = 0, []
        for approval_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                approval_decide(approval_id=approval_id, user=request.user, approve=approve)
            except ApplicationError as error:
                skipped.append(f"#{approval_id}: {error.message}")
            else:
                decided += 1
        if decided:
            verb = "Approved" if approve else "Rejected"
            self.message_user(request, BULK_DECIDED.format(verb=verb, count=decided))
        if skipped:
            self.message_user(
                request,
                BULK_SKIPPED.format(count=len(skipped), details=" ".join(skipped)),
                messages.WARNING,
            )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        approval = self.get_object(request, unquote(object_id))
        if approval is not None and self.has_view_permission(request, approval):
            context["evidence"] = approval_evidence(approval=approval)
            context["decider"] = decider_name(approval) if approval.decided_at else ""
            context["is_reply"] = approval.tool_name == EDITABLE_TOOL
            own_task = user_started_task(request.user, approval)
            context["own_task"] = own_task
            context["can_decide"] = (
                self.has_decide_permission(request)
                and approval.status == ApprovalRequest.Status.PENDING
                and not own_task
            )
            context["decide_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_decide", args=[approval.pk]
            )
        return super().change_view(request, object_id, form_url, context)

    # --- columns ----------------------------------------------------------------------------

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
