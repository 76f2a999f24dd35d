from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse


@staff_member_required
def backlog(request: HttpRequest) -> HttpResponse:
    return HttpResponse("AgentDesk")
