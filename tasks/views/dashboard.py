"""The team dashboard: every active and recent task, live. The page (or, for htmx and the live
client's reconnect, just its board) is read in a fixed number of queries."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from tasks.dashboard_selectors import dashboard_board
from tasks.views.access import staff_required
from tasks.views.common import wants_partial

TEMPLATE = "tasks/dashboard.html"


@require_GET
@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    template = f"{TEMPLATE}#board" if wants_partial(request) else TEMPLATE
    response = render(request, template, {"nav": "dashboard", "board": dashboard_board()})
    patch_vary_headers(response, ["HX-Request"])
    return response
