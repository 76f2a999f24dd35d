"""Who may use the portal: signed-in, active staff."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

STAFF_ONLY = "The AgentDesk portal is for support staff only."


def staff_required[**P](
    view: Callable[P, HttpResponse],
) -> Callable[P, HttpResponse]:
    """Anonymous visitors go to the login page (and come back after); signed-in users who are
    not staff get a 403 page rather than a login loop."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = cast(HttpRequest, args[0])
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied(STAFF_ONLY)
        return view(*args, **kwargs)

    return wrapper


def staff_user(request: HttpRequest) -> User:
    """The acting user of a view behind ``staff_required``."""
    return cast(User, request.user)
