"""Pieces every API router shares: safe input types, enums from model choices, error and page
schemas, pagination and the 404 helper.

The API layer lives in ``tasks/api``; ``tools_app/api.py`` imports these helpers so every
endpoint speaks the same error shape and page shape."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from django.conf import settings
from django.db.models import Model, QuerySet
from ninja import Field, Schema
from ninja.errors import HttpError
from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

# PositiveIntegerField columns (ticket numbers) hold at most a signed 32-bit value on every
# backend; BigAutoField ids a signed 64-bit one. Larger numbers are bad input (400), never a
# database overflow (500).
MAX_INT32 = 2_147_483_647
MAX_ID = 9_223_372_036_854_775_807
# Deep offsets are pointless over a backlog and would overflow LIMIT/OFFSET arithmetic.
MAX_OFFSET = 1_000_000
DEFAULT_PAGE_SIZE = 50

NUL_CHARACTER = "must not contain NUL (\\u0000) characters"
INVALID_UNICODE = "must be valid Unicode text (no lone surrogates)"
NOT_ONE_OF = "must be one of: {choices}"

ERROR_SHAPES = """
Errors use one shape:

* **400** `{"detail": [{"field": "<name or null>", "message": "<why>"}]}` for a bad parameter,
  a body that is not valid JSON or breaks a constraint, or a business rule the input broke.
* **401** `{"detail": "..."}` without credentials or with an unknown token.
* **403** `{"detail": "..."}` for a user who is not active staff, or a session request without
  its CSRF token.
* **404** `{"detail": "Not found: <kind> <id>"}` for an unknown number or id.
"""


def _clean_text(value: str) -> str:
    # PostgreSQL rejects NUL in text and SQLite cannot encode lone surrogates: refuse both
    # here so they become a 400 on the field, not a 500 from the database driver.
    if "\x00" in value:
        raise ValueError(NUL_CHARACTER)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(INVALID_UNICODE) from exc
    return value


SafeStr = Annotated[str, AfterValidator(_clean_text)]
"""A string safe to store or to send to the database in a query."""


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(values)]``: a string restricted to ``values`` (the stored values
    of a model's choices), published as an inline OpenAPI enum. Inline because several models
    have a nested class called ``Status`` and OpenAPI components are keyed by class name."""

    values: tuple[str, ...]
    description: str = ""

    def _check(self, value: str) -> str:
        if value not in self.values:
            raise ValueError(NOT_ONE_OF.format(choices=", ".join(self.values)))
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema: dict[str, Any] = {"type": "string", "enum": list(self.values)}
        if self.description:
            json_schema["description"] = self.description
        return json_schema


def choice_values(choices: Iterable[Any]) -> tuple[str, ...]:
    """The stored values of a Django ``TextChoices`` class (or any iterable of strings)."""
    return tuple(str(getattr(c, "value", c)) for c in choices)


class FieldError(Schema):
    field: str | None = Field(description="The parameter or body field at fault, if one is.")
    message: str


class ValidationErrorOut(Schema):
    detail: list[FieldError]


class MessageErrorOut(Schema):
    detail: str


def error_responses(*codes: int) -> dict[int, type[Schema]]:
    """Response schemas for the error statuses an endpoint can answer with."""
    shapes: dict[int, type[Schema]] = {
        400: ValidationErrorOut,
        401: MessageErrorOut,
        403: MessageErrorOut,
        404: MessageErrorOut,
    }
    return {code: shapes[code] for code in codes}


class PageParams(Schema):
    limit: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=settings.API_PAGE_SIZE_MAX,
        description="Page size, 1 to 200.",
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip, 0 to 1,000,000.")


def paginate[M: Model](queryset: QuerySet[M], page: PageParams) -> dict[str, Any]:
    """One COUNT and one page query, whatever the page size (the queryset must already
    ``select_related`` what the schema reads)."""
    count = queryset.count()
    results = list(queryset[page.offset : page.offset + page.limit])
    return {"count": count, "limit": page.limit, "offset": page.offset, "results": results}


def not_found(kind: str, ident: object) -> HttpError:
    return HttpError(404, f"Not found: {kind} {ident}")
