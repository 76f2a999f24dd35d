"""Copilot conversations, read-only: what staff asked, what the copilot answered and the tasks
it delegated (for support leads looking into an answer). People chat on /copilot/."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tasks.models import Conversation, ConversationMessage, ConversationTask


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MessageInline(_ReadOnly, admin.TabularInline):
    model = ConversationMessage
    fields = ("seq", "role", "status", "body", "task", "created_at")
    readonly_fields = fields
    extra = 0
    ordering = ("created_at", "id")


class DelegationInline(_ReadOnly, admin.TabularInline):
    model = ConversationTask
    fields = ("task", "message", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Conversation)
class ConversationAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("__str__", "user", "last_seq", "updated_at")
    list_filter = ("updated_at",)
    search_fields = ("title", "user__username", "messages__body")
    list_select_related = ("user",)
    fields = ("title", "user", "last_seq", "answer_owner", "created_at", "updated_at")
    readonly_fields = fields
    inlines = (MessageInline, DelegationInline)


@admin.register(ConversationMessage)
class ConversationMessageAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("__str__", "conversation", "role", "status", "created_at")
    list_filter = ("role", "status")
    search_fields = ("body",)
    list_select_related = ("conversation",)
    readonly_fields = (
        "conversation",
        "seq",
        "role",
        "status",
        "body",
        "error",
        "context",
        "task",
        "reply_to",
        "model",
        "input_tokens",
        "output_tokens",
        "cost",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields


@admin.register(ConversationTask)
class ConversationTaskAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("conversation", "task", "created_at")
    list_select_related = ("conversation", "task")
    fields = ("conversation", "task", "message", "created_at")
    readonly_fields = fields
