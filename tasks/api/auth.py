"""Who may call the API: active staff, by API token or by their portal session.

``request.auth`` is the authenticated user in every endpoint; ``request.user`` is the same user
for token requests too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer, SessionAuth

from tasks.services.api_tokens import api_token_authenticate

STAFF_ONLY = "The API is for active staff users only."


def _require_staff(user: Any) -> Any:
    if not (getattr(user, "is_active", False) and getattr(user, "is_staff", False)):
        raise AuthorizationError(403, STAFF_ONLY)
    return user


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer adk_...``, a key made with ``manage.py create_api_token``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is None:
            return None
        _require_staff(user)
        # Code shared with the portal reads request.user; make it the token's owner too.
        request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """The portal's login session. Unsafe methods need the CSRF token (``X-CSRFToken``)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a logged-in session there is nothing a forged request could ride on: skip
        # the CSRF check so the caller hears 401 (log in), not 403 (CSRF).
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not request.user.is_authenticated:
            return None
        return _require_staff(request.user)


def api_user(request: HttpRequest) -> AbstractBaseUser:
    """The user ``api_auth`` authenticated (ninja sets ``request.auth``; the stubs don't know)."""
    user: AbstractBaseUser = request.auth  # type: ignore[attr-defined]
    return user


# Token first: a request that carries a token is not a browser riding a session cookie.
api_auth = [ApiTokenAuth(), StaffSessionAuth()]
