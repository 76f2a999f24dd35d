"""Agent task actions from the portal (built by the runtime work)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse


@staff_member_required
def task_start(request: HttpRequest, number: int) -> HttpResponse:
    raise NotImplementedError


@staff_member_required
def task_bulk_start(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@staff_member_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    raise NotImplementedError


@staff_member_required
def task_cancel(request: HttpRequest, task_id: int) -> HttpResponse:
    raise NotImplementedError


@staff_member_required
def task_retry(request: HttpRequest, task_id: int) -> HttpResponse:
    raise NotImplementedError


@staff_member_required
def task_follow_up(request: HttpRequest, task_id: int) -> HttpResponse:
    raise NotImplementedError
