"""Admin for the business systems: customers, orders, refunds (read-only) and the knowledge
base, where staff edit runbooks and policies (with their machine-readable ``rules``)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from tasks.admin.common import ReadOnlyAdminMixin, ReadOnlyTabularInline, admin_link
from tools_app.models import Article, Customer, Order, Refund, ToolSetting

RULES_NOT_AN_OBJECT = 'Rules must be a JSON object, e.g. {"refund_window_days": 30}.'
RULE_INVALID = "{key} must be {expected}."
# What the refund checks read (``refund_check``): a wrong type would make every later refund
# call fail unexpectedly instead of being refused here.
REFUND_RULE_TYPES = {
    "refund_window_days": "a whole number of days, 0 or more",
    "max_refund_amount": 'a non-negative amount, e.g. "200.00"',
    "refundable_statuses": 'a list of order statuses, e.g. ["paid", "delivered"]',
}


def _rule_ok(key: str, value: Any) -> bool:
    if key == "refund_window_days":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if key == "max_refund_amount":
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return False
        return not isinstance(value, bool) and amount.is_finite() and amount >= 0
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


class OrderInline(ReadOnlyTabularInline):
    model = Order
    fields = ("number", "kind", "description", "amount", "currency", "status", "charged_at")
    readonly_fields = fields
    ordering = ("-charged_at",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "username", "plan", "order_count", "created_at")
    list_filter = ("plan", "created_at")
    search_fields = ("name", "email", "username")
    date_hierarchy = "created_at"
    inlines = (OrderInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return super().get_queryset(request).annotate(order_count=Count("orders"))

    @admin.display(description="Orders", ordering="order_count")
    def order_count(self, obj: Any) -> int:
        return obj.order_count


class RefundInline(ReadOnlyTabularInline):
    model = Refund
    fields = ("amount", "status", "reason", "task", "decided_by", "executed_at")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "customer",
        "kind",
        "amount",
        "currency",
        "status",
        "refunded_amount",
        "charged_at",
    )
    list_filter = ("status", "kind", "currency", "charged_at")
    search_fields = ("number", "description", "customer__name", "customer__email")
    list_select_related = ("customer",)
    date_hierarchy = "charged_at"
    autocomplete_fields = ("customer",)
    # Moved only by refund_issue, which keeps the two in step with the Refund rows.
    readonly_fields = ("refunded_amount",)
    inlines = (RefundInline,)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refunds are made only by ``refund_issue`` (idempotent, policy-checked); here they are
    evidence to read."""

    list_display = (
        "__str__",
        "customer",
        "amount",
        "status",
        "task_link",
        "decided_by",
        "executed_at",
    )
    list_filter = ("status", "created_at")
    search_fields = (
        "order__number",
        "order__customer__email",
        "order__customer__name",
        "reason",
        "idempotency_key",
    )
    list_select_related = ("order__customer", "task", "decided_by")
    date_hierarchy = "created_at"

    @admin.display(description="Customer", ordering="order__customer__name")
    def customer(self, obj: Refund) -> Any:
        return admin_link(obj.order.customer)

    @admin.display(description="Task")
    def task_link(self, obj: Refund) -> Any:
        return admin_link(obj.task)


class PrettyJSONField(forms.JSONField):
    """Shows stored JSON indented, so a policy's rules are readable and editable."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
        return super().prepare_value(value)


class ArticleForm(forms.ModelForm):
    rules = PrettyJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80, "style": "font-family: monospace"}),
        help_text="Machine-readable rules tools enforce, e.g. for the refund policy: "
        '{"refund_window_days": 30, "max_refund_amount": "200.00", '
        '"refundable_statuses": ["paid", "shipped", "delivered"]}.',
    )

    class Meta:
        model = Article
        fields = ("kind", "title", "slug", "category", "body", "rules", "version")

    def clean_rules(self) -> dict[str, Any]:
        rules = self.cleaned_data.get("rules")
        if rules in (None, ""):
            return {}
        if not isinstance(rules, dict):
            raise forms.ValidationError(RULES_NOT_AN_OBJECT)
        errors = [
            RULE_INVALID.format(key=key, expected=expected)
            for key, expected in REFUND_RULE_TYPES.items()
            if key in rules and not _rule_ok(key, rules[key])
        ]
        if errors:
            raise forms.ValidationError(errors)
        return rules


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = ("title", "kind", "category", "slug", "version", "updated_at")
    list_filter = ("kind", "category", "updated_at")
    search_fields = ("title", "slug", "category", "body")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("created_by_task_link", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("kind", "title", "slug", "category", "version")}),
        ("Content", {"fields": ("body", "rules")}),
        ("History", {"fields": ("created_by_task_link", "created_at", "updated_at")}),
    )

    @admin.display(description="Written by task")
    def created_by_task_link(self, obj: Article) -> Any:
        return admin_link(obj.created_by_task)


REQUIRED_TOOL = "{name} is needed by every run (the plan, the reply, the note or the status)."


class ToolSettingForm(forms.ModelForm):
    class Meta:
        model = ToolSetting
        fields = ["enabled"]

    def clean_enabled(self) -> bool:
        enabled = bool(self.cleaned_data.get("enabled"))
        if not enabled and self.instance.required:
            raise forms.ValidationError(REQUIRED_TOOL.format(name=self.instance.name))
        return enabled


@admin.register(ToolSetting)
class ToolSettingAdmin(admin.ModelAdmin):
    """The tool registry: what each agent tool may do and who may use it come from the code;
    staff switch tools on and off here (each change is in the object's history)."""

    form = ToolSettingForm
    list_display = ["name", "risk", "permission", "enabled", "required", "registered"]
    list_editable = ["enabled"]
    list_filter = ["risk", "enabled", "registered"]
    search_fields = ["name", "description"]
    readonly_fields = ["name", "risk", "permission", "description", "required", "registered"]
    fields = ["name", "description", "risk", "permission", "required", "registered", "enabled"]
    actions = ["switch_off", "switch_on"]

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        return ToolSettingForm

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tools are registered in code (tools_app.registry)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Switch the selected tools off", permissions=["change"])
    def switch_off(self, request: HttpRequest, queryset: QuerySet[ToolSetting]) -> None:
        self._switch(request, queryset, enabled=False)

    @admin.action(description="Switch the selected tools on", permissions=["change"])
    def switch_on(self, request: HttpRequest, queryset: QuerySet[ToolSetting]) -> None:
        self._switch(request, queryset, enabled=True)

    def _switch(self, request: HttpRequest, queryset: QuerySet[ToolSetting], enabled: bool) -> None:
        required = [row.name for row in queryset if row.required and not enabled]
        changed = [row for row in queryset if row.enabled != enabled and row.name not in required]
        for row in changed:
            row.enabled = enabled
            row.save(update_fields=["enabled", "updated_at"])
            self.log_change(request, row, [{"changed": {"fields": ["enabled"]}}])
        state = "on" if enabled else "off"
        if changed:
            self.message_user(request, f"Switched {state}: {', '.join(r.name for r in changed)}.")
        if required:
            self.message_user(
                request,
                "Not switched off (every run needs them): " + ", ".join(required) + ".",
                level=messages.WARNING,
            )
