"""Agent work: tasks, their to-dos and their event log. All written by the runtime (and
streamed live from there), so read-only here; cancel and retry live in the portal."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tasks.admin.common import (
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    admin_link,
    pretty_json,
    shorten,
)
from tasks.models import ApprovalRequest, Task, TaskEvent, TaskSpan, Todo


class TodoInline(ReadOnlyTabularInline):
    model = Todo
    fields = ("position", "text", "status", "updated_at")
    readonly_fields = fields
    show_change_link = False


class TaskEventInline(ReadOnlyTabularInline):
    model = TaskEvent
    fields = ("seq", "type", "data_excerpt", "created_at")
    readonly_fields = fields
    show_change_link = False
    ordering = ("seq",)

    @admin.display(description="Data")
    def data_excerpt(self, obj: TaskEvent) -> str:
        return shorten(str(obj.data), 160)


class ApprovalInline(ReadOnlyTabularInline):
    model = ApprovalRequest
    fields = ("summary", "status", "decided_by", "decided_at", "created_at")
    readonly_fields = fields


@admin.register(Task)
class TaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "title",
        "ticket_link",
        "status",
        "model",
        "attempts",
        "input_tokens",
        "output_tokens",
        "cost",
        "created_at",
        "finished_at",
    )
    list_display_links = ("id", "title")
    list_filter = ("status", "model", "created_at")
    search_fields = ("=id", "=ticket__number", "title", "final_output", "error")
    list_select_related = ("ticket", "created_by")
    date_hierarchy = "created_at"
    fieldsets = (
        (
            None,
            {"fields": ("title", "ticket_link", "status", "model", "created_by", "input")},
        ),
        ("Outcome", {"fields": ("final_output", "error")}),
        (
            "Usage",
            {"fields": ("input_tokens", "output_tokens", "cost", "attempts", "last_seq")},
        ),
        (
            "Timing",
            {"fields": ("created_at", "started_at", "heartbeat_at", "finished_at", "updated_at")},
        ),
        (
            "Runtime state",
            {
                "classes": ("collapse",),
                "fields": (
                    "cancel_requested",
                    "lease_owner",
                    "lease_expires_at",
                    "previous_response_id",
                    "run_state_version",
                    "run_state_size",
                    "history_json",
                ),
            },
        ),
    )
    readonly_fields = (
        "title",
        "ticket_link",
        "status",
        "model",
        "created_by",
        "input",
        "final_output",
        "error",
        "input_tokens",
        "output_tokens",
        "cost",
        "attempts",
        "last_seq",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "updated_at",
        "cancel_requested",
        "lease_owner",
        "lease_expires_at",
        "previous_response_id",
        "run_state_version",
        "run_state_size",
        "history_json",
    )
    inlines = (TodoInline, ApprovalInline, TaskEventInline)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Clearing out old or test tasks is fine; their events, to-dos and approvals go too.
        return bool(getattr(request.user, "is_superuser", False))

    @admin.display(description="Ticket", ordering="ticket__number")
    def ticket_link(self, obj: Task) -> Any:
        return admin_link(obj.ticket, f"#{obj.ticket.number}" if obj.ticket else None)

    @admin.display(description="Saved run state")
    def run_state_size(self, obj: Task) -> str:
        return f"{len(obj.run_state):,} characters" if obj.run_state else "-"

    @admin.display(description="Conversation history")
    def history_json(self, obj: Task) -> Any:
        return pretty_json(obj.history)


@admin.register(Todo)
class TodoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("text", "status", "position", "task_link", "updated_at")
    list_filter = ("status",)
    search_fields = ("text", "=task__id", "task__title")
    list_select_related = ("task",)

    @admin.display(description="Task", ordering="task_id")
    def task_link(self, obj: Todo) -> Any:
        return admin_link(obj.task)


@admin.register(TaskEvent)
class TaskEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("task_link", "seq", "type", "data_excerpt", "created_at")
    list_filter = ("type", "created_at")
    search_fields = ("=task__id", "type")
    list_select_related = ("task",)
    date_hierarchy = "created_at"
    # The busiest table: skip the unfiltered COUNT(*) on every changelist view.
    show_full_result_count = False
    fields = ("task_link", "seq", "type", "data_json", "created_at")
    readonly_fields = fields

    @admin.display(description="Task", ordering="task_id")
    def task_link(self, obj: TaskEvent) -> Any:
        return admin_link(obj.task)

    @admin.display(description="Data")
    def data_excerpt(self, obj: TaskEvent) -> str:
        return shorten(str(obj.data), 120)

    @admin.display(description="Data")
    def data_json(self, obj: TaskEvent) -> Any:
        return pretty_json(obj.data)


@admin.register(TaskSpan)
class TaskSpanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Trace spans (the task page shows them as a waterfall)."""

    list_display = (
        "task_link",
        "run_number",
        "kind",
        "name",
        "duration_ms",
        "started_at",
    )
    list_filter = ("kind", "started_at")
    search_fields = ("=task__id", "name", "=trace_id")
    list_select_related = ("task",)
    show_full_result_count = False
    fields = (
        "task_link",
        "run_number",
        "trace_id",
        "span_id",
        "parent_id",
        "kind",
        "name",
        "started_at",
        "ended_at",
        "duration_ms",
        "data_json",
        "error",
    )
    readonly_fields = fields

    @admin.display(description="Task", ordering="task_id")
    def task_link(self, obj: TaskSpan) -> Any:
        return admin_link(obj.task)

    @admin.display(description="Data")
    def data_json(self, obj: TaskSpan) -> Any:
        return pretty_json(obj.data)
