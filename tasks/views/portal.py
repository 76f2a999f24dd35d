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
from django.http import HttpRequest, HttpResponse
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
from tasks.presentation.ticket_page import ticket_page_context
from tasks.selectors import (
    escalation_queue_choices,
    staff_users,
    ticket_list,
    ticket_status_counts,
)
from tasks.services import tickets as ticket_services
from tasks.views.access import staff_required, staff_user
from tasks.views.common import ticket_or_404, wants_partial
from tools_app.errors import ApplicationError

PAGE_SIZE = 25

REPLY_SENT = "Reply sent to the customer."
NOTE_ADDED = "Internal note added."
STATUS_CHANGED = "Status changed to {status}."
ASSIGNED = "Assigned to {user}."
UNASSIGNED = "The ticket is now unassigned."


# --- Backlog -----------------------------------------------------------------------------------


@require_GET
@staff_required
def backlog(request: HttpRequest) -> HttpResponse:
    staff = list(staff_users())
    form = BacklogFilterForm(request.GET, staff=staff, queues=escalation_queue_choices())
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
        "is_filtered": any(
            effective[name] for name in ("category", "priority", "assignee", "queue", "q")
        ),
    }
    template = "tasks/backlog.html#results" if wants_partial(request) else "tasks/backlog.html"
    response = render(request, template, context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Ticket page -------------------------------------------------------------------------------


@require_GET
@staff_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_or_404(number)
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
    ticket = ticket_or_404(number)  # Fresh: the action may have changed status or assignee.
    failed = success is None
    if success is not None and not wants_partial(request):
        messages.success(request, success)
        return redirect("tasks:ticket_detail", number=number)
    forms = {form_name: form} if failed else {}
    context = ticket_page_context(
        ticket=ticket, user=staff_user(request), forms=forms, notice=success or ""
    )
    status = 400 if failed else 200
    if wants_partial(request):
        context["updated_form"] = form_name
        html = render_to_string("tasks/ticket_detail.html#ticket_update", context, request)
        return HttpResponse(html, status=status)
    return render(request, "tasks/ticket_detail.html", context, status=status)


Action = Callable[[Ticket, dict[str, Any]], str]


def _ticket_action(
    request: HttpRequest, number: int, *, form: ActionForm, form_name: str, act: Action
) -> HttpResponse:
    """Validates ``form`` and runs ``act`` (a service call that returns the success message)
    on the ticket; the service's ``ApplicationError`` becomes an error on the form."""
    ticket = ticket_or_404(number)
    success = None
    if form.is_valid():
        try:
            success = act(ticket, form.cleaned_data)
        except ApplicationError as error:
            form.add_application_error(error)
    return _respond(request, number, form_name=form_name, form=form, success=success)


@require_POST
@staff_required
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    def reply(ticket: Ticket, data: dict[str, Any]) -> str:
        ticket_services.ticket_reply(ticket=ticket, body=data["body"], author=staff_user(request))
        return REPLY_SENT

    form = MessageForm(request.POST)
    return _ticket_action(request, number, form=form, form_name="reply_form", act=reply)


@require_POST
@staff_required
def ticket_note(request: HttpRequest, number: int) -> HttpResponse:
    def note(ticket: Ticket, data: dict[str, Any]) -> str:
        ticket_services.ticket_add_note(
            ticket=ticket, body=data["body"], author=staff_user(request)
        )
        return NOTE_ADDED

    form = MessageForm(request.POST)
    return _ticket_action(request, number, form=form, form_name="note_form", act=note)


@require_POST
@staff_required
def ticket_status(request: HttpRequest, number: int) -> HttpResponse:
    def set_status(ticket: Ticket, data: dict[str, Any]) -> str:
        ticket_services.ticket_set_status(
            ticket=ticket, status=data["status"], actor=staff_user(request)
        )
        return STATUS_CHANGED.format(status=ticket.get_status_display())

    form = StatusForm(request.POST)
    return _ticket_action(request, number, form=form, form_name="status_form", act=set_status)


@require_POST
@staff_required
def ticket_assign(request: HttpRequest, number: int) -> HttpResponse:
    def assign(ticket: Ticket, data: dict[str, Any]) -> str:
        assignee = data["assignee"]
        ticket_services.ticket_assign(ticket=ticket, assignee=assignee, actor=staff_user(request))
        return ASSIGNED.format(user=assignee.get_username()) if assignee else UNASSIGNED

    form = AssignForm(request.POST, acting_user=staff_user(request))
    return _ticket_action(request, number, form=form, form_name="assign_form", act=assign)
