"""API clients on the live sockets: ``Authorization: Bearer adk_...`` (the JSON API's token)
when the session gave no user. Browsers use their session cookie."""

from __future__ import annotations

from typing import Any

from channels.middleware import BaseMiddleware

from tasks.live.threads import in_live_thread
from tasks.services.api_tokens import api_token_find


def bearer_token(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class ApiTokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        token = bearer_token(scope)
        if token is not None and not getattr(user, "is_authenticated", False):
            found = await in_live_thread(api_token_find)(token)
            if found is not None:
                # The token's id: the socket closes when the token is deleted.
                scope = {**scope, "user": found.user, "api_token_id": found.pk}
        return await super().__call__(scope, receive, send)
