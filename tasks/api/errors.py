"""One error shape for the whole API (see ``tasks.api.common.ERROR_SHAPES``).

* invalid parameters or body (ninja's 422 by default) -> 400 with the field at fault;
* ``ApplicationError`` from a service -> 400 with ``extra["field"]``;
* other ``HttpError``s keep their status; a 400 among them (an unparsable body) gets the list
  shape too, everything else ``{"detail": "..."}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from tools_app.errors import ApplicationError, RateLimited

BODY_UNPARSABLE = "The request body must be a JSON object."
BODY_TOO_LARGE = "The request body is too large (at most {limit} bytes)."
# Locations ninja reports: (source, field...) for parameters, (source, param, field...) for
# a body schema. The source and the body parameter's name mean nothing to a caller.
_SOURCES = {"query", "path", "header", "cookie", "body", "form", "file"}


def _field_from_loc(loc: Sequence[Any], body_params: frozenset[str]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        source, parts = parts[0], parts[1:]
        if source == "body" and parts and parts[0] in body_params:
            parts = parts[1:]
        if not parts:
            return source
    return ".".join(parts) or None


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg") or "Invalid value.")
    # pydantic prefixes messages of custom validators; the caller needs only the reason.
    return message.removeprefix("Value error, ")


def _errors(
    request: HttpRequest, api: NinjaAPI, errors: list[dict[str, Any]], status: int
) -> HttpResponse:
    return api.create_response(request, {"detail": errors}, status=status)


def install_error_handlers(api: NinjaAPI, *, body_params: frozenset[str]) -> None:
    """Registers the handlers on ``api``. ``body_params`` are the names endpoints give their
    body schema argument (stripped from error locations)."""

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = [
            {
                "field": _field_from_loc(error.get("loc", ()), body_params),
                "message": _message(error),
            }
            for error in exc.errors
        ]
        return _errors(request, api, details, 400)

    @api.exception_handler(RequestDataTooBig)
    def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        error = {"field": "body", "message": BODY_TOO_LARGE.format(limit=limit)}
        return _errors(request, api, [error], 413)

    @api.exception_handler(ApplicationError)
    def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        details = [{"field": exc.extra.get("field"), "message": exc.message}]
        if isinstance(exc, RateLimited):
            response = _errors(request, api, details, 429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return _errors(request, api, details, 400)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            # ninja raises "Cannot parse request body" for malformed JSON or a wrong
            # content type: name the body so the shape matches every other 400.
            error: dict[str, str | None]
            if str(exc).startswith("Cannot parse request body"):
                error = {"field": "body", "message": BODY_UNPARSABLE}
            else:
                error = {"field": None, "message": str(exc)}
            return _errors(request, api, [error], 400)
        response = api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
        if exc.status_code == 401:
            response["WWW-Authenticate"] = "Bearer"
        return response
