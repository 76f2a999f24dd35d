"""Staff portal pages: the backlog and the ticket page, and the ticket's actions.

Every page works without JavaScript (plain links, GET filter form, POST forms that redirect
back with a message); with htmx the same URLs answer with template partials that update the
page in place. Business rules stay in ``tasks.services.tickets``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from tasks.forms import (
    STATUS_CHOICES,
    ActionForm,
    AssignForm,
    BacklogFilterForm,
    MessageForm,
    StatusForm,
)
from tasks.models import Ticket
from tasks.selectors import staff_users, ticket_get, ticket_list, ticket_status_counts
from tasks.services import tickets as ticket_services
from tasks.views.access import staff_required, staff_user
from tasks.views.ticket_page import ticket_page_context
from tools_app.errors import ApplicationError

PAGE_SIZE = 25

REPLY_SENT = "Reply sent to the customer."
NOTE_ADDED = "Internal note added."
STATUS_CHANGED = "Status changed to {status}."
ASSIGNED = "Assigned to {user}."
UNASSIGNED = "The ticket is now unassigned."


def _wants_partial(request: HttpRequest) -> bool:
    """An htmx request, but not htmx re-fetching a whole page for its history cache."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def _ticket_or_404(number: int) -> Ticket:
    try:
        return ticket_get(number=number)
    except ApplicationError as error:
        raise Http404(error.message) from error


# --- Backlog -----------------------------------------------------------------------------------


@require_GET
@staff_required
def backlog(request: HttpRequest) -> HttpResponse:
    staff = list(staff_users())
    form = BacklogFilterForm(request.GET, staff=staff)
    filters = form.to_filters(user=staff_user(request))
    page = Paginator(ticket_list(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = ticket_status_counts(filters=filters)
    effective = form.effective()
    context = {
        "nav": "backlog",
        "form": form,
        "filters": effective,
        "base_query": form.query(),
        "ignored": form.ignored(),
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "tickets": page.object_list,
        "status_tabs": [(value, label, counts[value]) for value, label in STATUS_CHOICES],
        "is_filtered": any(effective[name] for name in ("category", "priority", "assignee", "q")),
    }
    template = "tasks/backlog.html#results" if _wants_partial(request) else "tasks/backlog.html"
    response = render(request, template, context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Ticket page -------------------------------------------------------------------------------


@require_GET
@staff_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    context = ticket_page_context(ticket=ticket, user=staff_user(request))
    return render(request, "tasks/ticket_detail.html", context)


def _respond(
    request: HttpRequest,
    number: int,
    *,
    form_name: str,
    form: ActionForm,
    success: str | None,
) -> HttpResponse:
    """Answers a ticket action. htmx gets the changed parts of the page as out-of-band swaps
    (header, thread, properties, and the action's own form, so a draft in the other composer
    survives); a plain form post is redirected back on success (POST/redirect/GET) or gets the
    whole page again with the error. Errors are 400 both ways, and the bound form keeps what
    the person typed."""
    ticket = _ticket_or_404(number)  # Fresh: the action may have changed status or assignee.
    failed = success is None
    if success is not None and not _wants_partial(request):
        messages.success(request, success)
        return redirect("tasks:ticket_detail", number=number)
    forms = {form_name: form} if failed else {}
    context = ticket_page_context(
        ticket=ticket, user=staff_user(request), forms=forms, notice=success or ""
    )
    status = 400 if failed else 200
    if _wants_partial(request):
        context["updated_form"] = form_name
        html = render_to_string("tasks/ticket_detail.html#ticket_update", context, request)
        return HttpResponse(html, status=status)
    return render(request, "tasks/ticket_detail.html", context, status=status)


def _run(action: Callable[[], Any], form: ActionForm) -> bool:
    """Runs a service call, turning its ``ApplicationError`` into a form error."""
    try:
        action()
    except ApplicationError as error:
        form.add_application_error(error)
        return False
    return True


@require_POST
@staff_required
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = MessageForm(request.POST)
    ok = form.is_valid() and _run(
        lambda: ticket_services.ticket_reply(
            ticket=ticket, body=form.cleaned_data["body"], author=staff_user(request)
        ),
        form,
    )
    return _respond(
        request, number, form_name="reply_form", form=form, success=REPLY_SENT if ok else None
    )


@require_POST
@staff_required
def ticket_note(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = MessageForm(request.POST)
    ok = form.is_valid() and _run(
        lambda: ticket_services.ticket_add_note(
            ticket=ticket, body=form.cleaned_data["body"], author=staff_user(request)
        ),
        form,
    )
    return _respond(
        request, number, form_name="note_form", form=form, success=NOTE_ADDED if ok else None
    )


@require_POST
@staff_required
def ticket_status(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = StatusForm(request.POST)
    ok = form.is_valid() and _run(
        lambda: ticket_services.ticket_set_status(
            ticket=ticket, status=form.cleaned_data["status"], actor=staff_user(request)
        ),
        form,
    )
    success = STATUS_CHANGED.format(status=ticket.get_status_display()) if ok else None
    return _respond(request, number, form_name="status_form", form=form, success=success)


@require_POST
@staff_required
def ticket_assign(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = AssignForm(request.POST, acting_user=staff_user(request))
    ok = form.is_valid() and _run(
        lambda: ticket_services.ticket_assign(
            ticket=ticket, assignee=form.cleaned_data["assignee"], actor=staff_user(request)
        ),
        form,
    )
    success = None
    if ok:
        assignee = form.cleaned_data["assignee"]
        success = ASSIGNED.format(user=assignee.get_username()) if assignee else UNASSIGNED
    return _respond(request, number, form_name="assign_form", form=form, success=success)
