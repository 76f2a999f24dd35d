"""Autonomy policies (what agents may approve without a person) and which ticket categories'
replies wait for review. Policies are edited by approvers only; each save is a new version
that another approver must approve before it applies; Switch off applies at once. The change
history of each policy is listed under it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tasks.admin.common import ReadOnlyAdminMixin, ReadOnlyTabularInline
from tasks.models import AutonomyPolicy, AutonomyPolicyChange, ReplyReview, Ticket
from tasks.services.approvals import user_can_decide
from tasks.services.autonomy import policy_approve, policy_save, policy_switch_off
from tools_app.errors import ApplicationError

LIMIT_REQUIRED = "Give the largest amount one action may have, e.g. 30.00."
LIMIT_POSITIVE = "The limit must be more than 0 (a negative or zero limit would approve nothing)."


class AutonomyPolicyForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        choices=Ticket.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ticket categories it applies to; none ticked: every category.",
    )
    max_amount = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        required=True,
        error_messages={"required": LIMIT_REQUIRED},
        help_text="The largest amount one action may have (more goes to a person).",
    )

    class Meta:
        model = AutonomyPolicy
        fields = ["name", "action_class", "max_amount", "categories", "enabled"]

    def clean_max_amount(self) -> Any:
        amount = self.cleaned_data.get("max_amount")
        if amount is None:
            raise forms.ValidationError(LIMIT_REQUIRED)
        if amount <= 0:
            raise forms.ValidationError(LIMIT_POSITIVE)
        return amount


class PolicyChangeInline(ReadOnlyTabularInline):
    model = AutonomyPolicyChange
    fields = ("at", "kind", "version", "by", "snapshot")
    readonly_fields = fields
    show_change_link = False
    ordering = ("-at", "-id")


@admin.register(AutonomyPolicy)
class AutonomyPolicyAdmin(admin.ModelAdmin):
    form = AutonomyPolicyForm
    list_display = (
        "name",
        "action_class",
        "max_amount",
        "enabled",
        "version",
        "status",
        "edited_by",
        "approved_by",
    )
    list_filter = ("enabled", "action_class")
    search_fields = ("name",)
    readonly_fields = ("version", "status", "edited_by", "edited_at", "approved_by", "approved_at")
    inlines = (PolicyChangeInline,)
    actions = ("approve_version", "switch_off")

    @admin.display(description="applies")
    def status(self, obj: AutonomyPolicy) -> str:
        if not obj.enabled:
            return "No: switched off"
        if obj.approved_by_id is None:
            return "No: this version waits for a second approver"
        return "Yes"

    def _approver(self, request: HttpRequest) -> bool:
        return user_can_decide(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._approver(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._approver(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._approver(request) or super().has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch off instead: approvals made by it keep pointing at it

    def save_model(
        self, request: HttpRequest, obj: AutonomyPolicy, form: Any, change: bool
    ) -> None:
        try:
            policy_save(policy=obj, user=request.user)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        if obj.enabled and obj.approved_by_id is None:
            self.message_user(
                request,
                f"Saved as version {obj.version}: it applies once another approver approves it.",
                messages.WARNING,
            )

    @admin.action(description="Approve the current version (a second approver)")
    def approve_version(self, request: HttpRequest, queryset: QuerySet[AutonomyPolicy]) -> None:
        self._each(request, queryset, policy_approve, "version {version} approved")

    @admin.action(description="Switch off now")
    def switch_off(self, request: HttpRequest, queryset: QuerySet[AutonomyPolicy]) -> None:
        self._each(request, queryset, policy_switch_off, "switched off")

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[AutonomyPolicy],
        change: Callable[..., AutonomyPolicy],
        done: str,
    ) -> None:
        for policy in queryset:
            try:
                changed = change(policy_id=policy.pk, user=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{policy.name}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{policy.name}: {done.format(version=changed.version)}."
                )


@admin.register(ReplyReview)
class ReplyReviewAdmin(admin.ModelAdmin):
    """Ticket categories whose agent replies wait for a person's approval before sending."""

    list_display = ("category", "enabled", "updated_at")
    list_editable = ("enabled",)


@admin.register(AutonomyPolicyChange)
class AutonomyPolicyChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail of every autonomy policy: who edited, approved or switched off which
    version, and what it said then (read-only)."""

    list_display = ("at", "policy", "kind", "version", "by")
    list_filter = ("kind",)
    search_fields = ("policy__name",)
    list_select_related = ("policy", "by")
    readonly_fields = ("policy", "kind", "version", "snapshot", "by", "at")
