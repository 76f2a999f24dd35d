"""Staff portal pages: backlog and ticket page (built by the portal work)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse


@staff_member_required
def backlog(request: HttpRequest) -> HttpResponse:
    return HttpResponse("AgentDesk backlog")


@staff_member_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    return HttpResponse(f"Ticket {number}")


@staff_member_required
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    raise NotImplementedError


@staff_member_required
def ticket_note(request: HttpRequest, number: int) -> HttpResponse:
    raise NotImplementedError


@staff_member_required
def ticket_status(request: HttpRequest, number: int) -> HttpResponse:
    raise NotImplementedError


@staff_member_required
def ticket_assign(request: HttpRequest, number: int) -> HttpResponse:
    raise NotImplementedError
