"""Agent task actions from the portal: start (one ticket or in bulk), the task page, cancel,
retry and follow-up.

Plain form posts redirect back with a message; htmx posts get the updated panel (the agent
panel for a start, the task panel otherwise). A refused action is a 400 carrying the panel
with the reason, which htmx swaps in like a 200."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from tasks.models import Task, Ticket
from tasks.presentation.ticket_page import agent_panel_context
from tasks.presentation.trace import trace_blocks
from tasks.services.task_lifecycle import task_cancel as cancel_service
from tasks.services.task_lifecycle import task_follow_up as follow_up_service
from tasks.services.task_lifecycle import task_retry as retry_service
from tasks.services.task_start import task_bulk_start as bulk_start_service
from tasks.services.task_start import task_start_for_ticket
from tasks.task_selectors import task_get, task_panel, task_trace_spans
from tasks.views.access import staff_required, staff_user
from tasks.views.common import ticket_or_404, wants_partial
from tools_app.errors import ApplicationError, RateLimited

TASK_STARTED = "Investigation started: the agent is on it."
TASK_ALREADY_ACTIVE = "This ticket already has an active task; showing it."
CANCEL_REQUESTED = "Cancel requested."
TASK_CANCELLED = "Task cancelled."
TASK_REQUEUED = "Task queued again."
FOLLOW_UP_SENT = "Follow-up sent to the agent."
BULK_NONE_SELECTED = "Select at least one ticket to investigate."
BULK_STARTED = "Started {started} investigation(s)."
BULK_ALREADY = "{count} already had an active task."
BULK_SKIPPED = "Skipped {count}: {details}."


def _task_or_404(task_id: int) -> Task:
    try:
        return task_get(task_id=task_id)
    except ApplicationError as error:
        raise Http404(error.message) from error


def _back(task: Task) -> HttpResponse:
    if task.ticket is not None:
        return redirect("tasks:ticket_detail", number=task.ticket.number)
    return redirect("tasks:task_detail", task_id=task.pk)


def _panel_response(
    request: HttpRequest, task: Task, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {"panel": task_panel(task=task), **extra}
    return render(request, "tasks/partials/task_panel.html", context, status=status)


def _agent_panel(
    request: HttpRequest, ticket: Ticket, *, error: str = "", status: int | None = None
) -> HttpResponse:
    context = {**agent_panel_context(ticket), "agent_error": error}
    status = status or (400 if error else 200)
    return render(request, "tasks/partials/agent_panel.html", context, status=status)


@require_POST
@staff_required
def task_start(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_or_404(number)
    try:
        _, created = task_start_for_ticket(ticket=ticket, user=staff_user(request))
    except ApplicationError as error:
        status = 429 if isinstance(error, RateLimited) else 400
        if wants_partial(request):
            response = _agent_panel(request, ticket, error=error.message, status=status)
        else:
            messages.error(request, error.message)
            response = redirect("tasks:ticket_detail", number=number)
        if isinstance(error, RateLimited):
            response["Retry-After"] = str(error.retry_after)
        return response
    if wants_partial(request):
        return _agent_panel(request, ticket)
    messages.success(request, TASK_STARTED if created else TASK_ALREADY_ACTIVE)
    return redirect("tasks:ticket_detail", number=number)


def _ticket_numbers(values: list[str]) -> list[int]:
    numbers = []
    for value in values:
        value = value.strip().lstrip("#")
        if value.isdecimal() and value.isascii() and len(value) <= 9:
            numbers.append(int(value))
    return numbers


@require_POST
@staff_required
def task_bulk_start(request: HttpRequest) -> HttpResponse:
    numbers = _ticket_numbers(request.POST.getlist("numbers"))
    if not numbers:
        messages.error(request, BULK_NONE_SELECTED)
        return redirect("tasks:backlog")
    result = bulk_start_service(numbers=numbers, user=staff_user(request))
    parts = [BULK_STARTED.format(started=len(result.started))]
    if result.already_running:
        parts.append(BULK_ALREADY.format(count=len(result.already_running)))
    if result.skipped:
        details = "; ".join(f"#{number} ({reason})" for number, reason in result.skipped)
        parts.append(BULK_SKIPPED.format(count=len(result.skipped), details=details))
    level = messages.SUCCESS if result.started else messages.WARNING
    messages.add_message(request, level, " ".join(parts))
    return redirect("tasks:backlog")


@require_GET
@staff_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(task_id)
    partial = wants_partial(request)
    template = "tasks/partials/task_panel.html" if partial else "tasks/task_detail.html"
    context: dict[str, Any] = {"panel": task_panel(task=task)}
    if not partial:
        context["trace"] = trace_blocks(task_trace_spans(task_id=task.pk))
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _act(request: HttpRequest, task: Task, action: Any, success: str) -> HttpResponse:
    try:
        task = action()
    except ApplicationError as error:
        if wants_partial(request):
            return _panel_response(request, task, status=400, action_error=error.message)
        messages.error(request, error.message)
        return _back(task)
    if wants_partial(request):
        return _panel_response(request, task)
    messages.success(request, success)
    return _back(task)


@require_POST
@staff_required
def task_cancel(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(task_id)
    running = task.status == Task.Status.RUNNING
    return _act(
        request,
        task,
        lambda: cancel_service(task=task, user=staff_user(request)),
        CANCEL_REQUESTED if running else TASK_CANCELLED,
    )


@require_POST
@staff_required
def task_retry(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(task_id)
    return _act(
        request, task, lambda: retry_service(task=task, user=staff_user(request)), TASK_REQUEUED
    )


@require_POST
@staff_required
def task_follow_up(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(task_id)
    text = request.POST.get("text", "")
    try:
        task = follow_up_service(task=task, text=text, user=staff_user(request))
    except ApplicationError as error:
        if wants_partial(request):
            return _panel_response(
                request, task, status=400, follow_up_error=error.message, follow_up_text=text
            )
        messages.error(request, error.message)
        return _back(task)
    if wants_partial(request):
        return _panel_response(request, task)
    messages.success(request, FOLLOW_UP_SENT)
    return _back(task)
