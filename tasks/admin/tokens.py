"""API tokens: who has one, when it was last used; delete one to revoke it.

Tokens are made with ``manage.py create_api_token`` (the key is shown once there); only a hash
is stored, so there is nothing to show or edit here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tasks.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_filter = ("created_at", "last_used_at")
    search_fields = ("name", "prefix", "user__username", "user__email")
    list_select_related = ("user",)
    fields = ("name", "user", "prefix", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False
