"""Per-user API tokens. Only a SHA-256 of the key is stored; the key is shown once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from tasks.models import ApiToken
from tools_app.errors import ApplicationError

KEY_PREFIX = "adk_"
# Stored to tell keys apart in lists ("adk_Ab3dE9fG…"); far too short to guess the rest from.
DISPLAY_PREFIX_LENGTH = 12
# Keys we issue are ~47 characters; anything much longer is not ours and is not even hashed.
MAX_KEY_LENGTH = 200
# Recording every use would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

TOKEN_NAME_REQUIRED = "A token needs a name."
TOKEN_NAME_TOO_LONG = "A token name is limited to 100 characters."
TOKEN_USER_INACTIVE = "Tokens can only be created for active users."


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def api_token_create(*, user: User, name: str = "default") -> tuple[ApiToken, str]:
    """Creates a token for ``user`` and returns it with the raw key, which is never stored and
    cannot be shown again."""
    name = name.strip()
    if not name:
        raise ApplicationError(TOKEN_NAME_REQUIRED, {"field": "name"})
    if len(name) > 100:
        raise ApplicationError(TOKEN_NAME_TOO_LONG, {"field": "name"})
    if not user.is_active:
        raise ApplicationError(TOKEN_USER_INACTIVE, {"field": "user"})
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:DISPLAY_PREFIX_LENGTH], key_hash=_hash_key(raw)
    )
    return token, raw


def api_token_authenticate(raw: str) -> User | None:
    """The active user owning the key ``raw``, or None (see ``api_token_find``)."""
    token = api_token_find(raw)
    return token.user if token is not None else None


def api_token_find(raw: str) -> ApiToken | None:
    """The token ``raw`` of an active user (with its user), or None.

    The lookup is by hash, so response time says nothing about how much of a guessed key was
    right. Marks the token used, at most once a minute."""
    raw = raw.strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > MAX_KEY_LENGTH:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_key(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at < stale:
        # Conditional so concurrent requests do not all write.
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk
        ).update(last_used_at=now)
    return token
