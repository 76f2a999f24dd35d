"""Evaluation runs and their trials (written by ``manage.py eval``; read-only here, the Evals
page compares them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from tasks.admin.common import ReadOnlyAdminMixin, ReadOnlyTabularInline, pretty_json
from tasks.models import EvalResult, EvalRun


class EvalResultInline(ReadOnlyTabularInline):
    model = EvalResult
    fields = ("scenario", "category", "trial", "passed", "latency_ms", "cost")
    readonly_fields = fields


@admin.register(EvalRun)
class EvalRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "started_at",
        "model",
        "k",
        "scenarios",
        "pass_rate",
        "pass_hat_k",
        "cost",
    )
    list_filter = ("model",)
    inlines = (EvalResultInline,)


@admin.register(EvalResult)
class EvalResultAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("scenario", "trial", "passed", "run", "latency_ms")
    list_filter = ("passed", "category")
    search_fields = ("scenario",)
    fields = (
        "run",
        "scenario",
        "category",
        "trial",
        "passed",
        "checks_json",
        "state_json",
        "error",
    )
    readonly_fields = fields

    @admin.display(description="Checks")
    def checks_json(self, obj: EvalResult) -> Any:
        return pretty_json(obj.checks)

    @admin.display(description="End state")
    def state_json(self, obj: EvalResult) -> Any:
        return pretty_json(obj.end_state)
