"""Small helpers every admin module uses: links between admin pages, readable JSON and
read-only model admins for records written only by services (audit rows, agent output)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

# Long JSON (a task's conversation history) is cut so a page stays fast to render.
JSON_DISPLAY_LIMIT = 20_000


def admin_link(obj: Model | None, text: object | None = None) -> SafeString | str:
    """A link to ``obj``'s admin change page ("-" for no object)."""
    if obj is None:
        return "-"
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def pretty_json(value: Any) -> SafeString:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) > JSON_DISPLAY_LIMIT:
        text = text[:JSON_DISPLAY_LIMIT] + "\n… (truncated)"
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


def shorten(text: str, length: int = 80) -> str:
    return Truncator(text.replace("\n", " ")).chars(length)


class ReadOnlyAdminMixin:
    """Viewable, never added or edited here: the rows are written by services so every change
    stays audited (and, for agent output, streamed to the portal)."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True
