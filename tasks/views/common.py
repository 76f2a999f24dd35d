"""Helpers every portal view shares: whether to answer with a partial, and the 404 of a
missing ticket."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from tasks.models import Ticket
from tasks.selectors import ticket_get
from tools_app.errors import ApplicationError


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request, but not htmx re-fetching a whole page for its history cache."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def ticket_or_404(number: int) -> Ticket:
    try:
        return ticket_get(number=number)
    except ApplicationError as error:
        raise Http404(error.message) from error
