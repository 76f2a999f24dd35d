"""The copilot's pages: ``/copilot/`` (your conversations, and one open) and its compact panel
(``/copilot/panel/``, opened from the backlog, a ticket or the dashboard with that page's
context). Messages are sent and answers stream over ``ws/copilot/<id>/`` (static/js/copilot.js);
conversations are created, renamed and deleted with plain forms."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from tasks.copilot_selectors import conversation_for_user, conversation_list
from tasks.models import Conversation
from tasks.presentation.copilot import conversation_view
from tasks.services.conversations import (
    conversation_create,
    conversation_delete,
    conversation_mark_seen,
    conversation_rename,
)
from tasks.views.access import staff_required, staff_user
from tools_app.errors import ApplicationError

TEMPLATE = "tasks/copilot.html"


def _own(request: HttpRequest, conversation_id: int) -> Conversation:
    conversation = conversation_for_user(
        user_id=staff_user(request).pk, conversation_id=conversation_id
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def _page_context(request: HttpRequest) -> dict[str, Any]:
    """The page the copilot was opened from (``?ticket=1004``, ``?filter=...``)."""
    context: dict[str, Any] = {}
    ticket = request.GET.get("ticket", "")
    if ticket.isdecimal() and 0 < int(ticket) < 2**31:
        context["ticket_number"] = int(ticket)
    backlog = request.GET.get("filter", "").strip()
    if backlog:
        context["filter"] = backlog[:200]
    return context


def _render(
    request: HttpRequest, conversation: Conversation | None, *, panel: bool = False
) -> HttpResponse:
    user = staff_user(request)
    page_context = _page_context(request)
    view = None
    if conversation is not None:
        conversation_mark_seen(conversation=conversation)
        view = conversation_view(conversation_id=conversation.pk)
    return render(
        request,
        TEMPLATE,
        {
            "nav": "copilot",
            "panel": panel,
            "conversations": conversation_list(user_id=user.pk),
            "conversation": conversation,
            "view": view,
            "page_context": page_context,
            "page_context_json": json.dumps(page_context),
            "max_chars": settings.COPILOT_MAX_MESSAGE_CHARS,
        },
    )


@require_GET
@staff_required
def copilot(request: HttpRequest) -> HttpResponse:
    """The latest conversation, or none yet."""
    latest = conversation_list(user_id=staff_user(request).pk)[:1]
    return _render(request, latest[0] if latest else None)


@require_GET
@staff_required
def copilot_conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _render(request, _own(request, conversation_id))


# The panel is the one page framed (by the portal's own pages, in the copilot drawer).
PANEL_CSP: dict[str, Any] = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}


@csp_override(PANEL_CSP)
@xframe_options_sameorigin
@require_GET
@staff_required
def copilot_panel(request: HttpRequest) -> HttpResponse:
    """The compact copilot opened beside another page: a new conversation unless the latest
    one is still empty."""
    user = staff_user(request)
    latest = conversation_list(user_id=user.pk)[:1]
    conversation = latest[0] if latest and latest[0].last_seq == 0 else None
    if conversation is None:
        conversation = conversation_create(user=user)
    return _render(request, conversation, panel=True)


def _back(request: HttpRequest, conversation: Conversation | None = None) -> HttpResponse:
    if conversation is None:
        return redirect("tasks:copilot")
    return redirect(reverse("tasks:copilot_conversation", args=[conversation.pk]))


@require_POST
@staff_required
def copilot_new(request: HttpRequest) -> HttpResponse:
    return _back(request, conversation_create(user=staff_user(request)))


@require_POST
@staff_required
def copilot_rename(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _own(request, conversation_id)
    try:
        conversation_rename(conversation=conversation, title=request.POST.get("title", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(request, conversation)


@require_POST
@staff_required
def copilot_delete(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation_delete(conversation=_own(request, conversation_id))
    messages.success(request, "Conversation deleted.")
    return _back(request)
