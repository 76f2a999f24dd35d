"""The one exception type for business failures (HackSoft styleguide).

Services raise it with a human-readable message (a module constant that tests reuse) and an
``extra`` dict naming what was at fault; HTTP views turn it into a 4xx with the field, agent tools
turn it into an error result the model can read."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.message, **self.extra}


class RateLimited(ApplicationError):
    """Too many actions too quickly: HTTP answers 429 with ``Retry-After``."""

    def __init__(self, message: str, *, retry_after: int, extra: dict[str, Any] | None = None):
        super().__init__(message, {"field": None, "retry_after": retry_after, **(extra or {})})
        self.retry_after = retry_after
