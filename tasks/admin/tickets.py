"""Tickets, their threads and their audit trail.

Messages and changes are records of what happened, written by services: read-only here. A
ticket's status and assignee may be changed here, through the same services the portal uses,
so the change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, ForeignKey, Q
from django.forms import ModelChoiceField, ModelForm
from django.http import HttpRequest

from tasks.admin.common import ReadOnlyAdminMixin, ReadOnlyTabularInline, admin_link, shorten
from tasks.models import EscalationQueue, Task, Ticket, TicketChange, TicketMessage
from tasks.selectors import staff_users
from tasks.services.tickets import ticket_assign, ticket_set_status


class TicketMessageInline(ReadOnlyTabularInline):
    model = TicketMessage
    fields = ("created_at", "author_kind", "author", "is_internal", "body", "task")
    readonly_fields = fields


class TicketChangeInline(ReadOnlyTabularInline):
    model = TicketChange
    fields = ("created_at", "field", "old_value", "new_value", "actor", "task")
    readonly_fields = fields
    show_change_link = False


class TaskInline(ReadOnlyTabularInline):
    model = Task
    fields = ("title", "status", "model", "cost", "created_at", "finished_at")
    readonly_fields = fields
    ordering = ("-created_at",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "subject",
        "customer",
        "category",
        "priority",
        "status",
        "assignee",
        "escalation_queue",
        "created_at",
    )
    list_display_links = ("number", "subject")
    list_filter = ("status", "escalation_queue", "priority", "category", "created_at")
    search_fields = ("=number", "subject", "body", "requester_email", "customer__name")
    list_select_related = ("customer", "assignee", "escalation_queue")
    date_hierarchy = "created_at"
    autocomplete_fields = ("customer",)
    fields = (
        "number",
        "subject",
        "customer",
        "requester_email",
        "category",
        "priority",
        "status",
        "assignee",
        "escalation_queue",
        "escalation_reason",
        "escalated_at",
        "body",
        "created_at",
        "updated_at",
    )
    # The customer's own words and the ticket's identity are not ours to rewrite; escalations
    # go through ticket_escalate (the history records them).
    readonly_fields = (
        "number",
        "body",
        "created_at",
        "updated_at",
        "escalation_queue",
        "escalation_reason",
        "escalated_at",
    )
    inlines = (TicketMessageInline, TicketChangeInline, TaskInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tickets arrive through ticket_create (portal, API, seed): it numbers them and starts
        # the thread.
        return False

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "assignee":
            kwargs["queryset"] = staff_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Ticket, form: ModelForm, change: bool) -> None:
        # Status and assignee go through the services so the change lands in the audit trail.
        original = Ticket.objects.get(pk=obj.pk)
        status, assignee = obj.status, obj.assignee
        obj.status, obj.assignee = original.status, original.assignee
        super().save_model(request, obj, form, change)
        user: Any = request.user
        ticket_set_status(ticket=obj, status=status, actor=user)
        ticket_assign(ticket=obj, assignee=assignee, actor=user)


@admin.register(TicketMessage)
class TicketMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "author_kind", "author", "is_internal", "excerpt", "created_at")
    list_filter = ("author_kind", "is_internal", "created_at")
    search_fields = ("=ticket__number", "ticket__subject", "body")
    list_select_related = ("ticket", "author")
    date_hierarchy = "created_at"

    @admin.display(description="Message")
    def excerpt(self, obj: TicketMessage) -> str:
        return shorten(obj.body)


@admin.register(TicketChange)
class TicketChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "field", "old_value", "new_value", "actor", "task_link", "created_at")
    list_filter = ("field", "created_at")
    search_fields = ("=ticket__number", "old_value", "new_value", "actor__username")
    list_select_related = ("ticket", "actor", "task")
    date_hierarchy = "created_at"

    @admin.display(description="Task")
    def task_link(self, obj: TicketChange) -> Any:
        return admin_link(obj.task)


@admin.register(EscalationQueue)
class EscalationQueueAdmin(admin.ModelAdmin):
    """Who escalated tickets go to: set a queue's assignee, or switch a queue off."""

    list_display = ("name", "slug", "assignee", "active", "waiting")
    list_editable = ("assignee", "active")
    fields = ("name", "slug", "description", "assignee", "active")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The agents name queues by slug: it stays as created.
        return ("slug",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tickets keep their queue: switch it off instead

    def get_queryset(self, request: HttpRequest) -> Any:
        # The open tickets of every queue in the list's one query.
        open_tickets = Count("tickets", filter=Q(tickets__status__in=Ticket.ACTIVE_STATUSES))
        return (
            super()
            .get_queryset(request)
            .select_related("assignee")
            .annotate(open_tickets=open_tickets)
        )

    @admin.display(description="Open tickets", ordering="open_tickets")
    def waiting(self, obj: EscalationQueue) -> int:
        return int(getattr(obj, "open_tickets", 0))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "assignee":
            kwargs["queryset"] = User.objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
