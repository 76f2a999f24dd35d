"""Knowledge-base writes: agents and staff write internal documents."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils.text import slugify

from tools_app.errors import ApplicationError
from tools_app.models import Article

DOCUMENT_TITLE_REQUIRED = "A document needs a title."
DOCUMENT_TITLE_TOO_LONG = "A document title is limited to 200 characters."
MAX_TITLE = 200
DOCUMENT_BODY_REQUIRED = "A document needs a body."
DOCUMENT_TOO_LONG = "A document body is limited to 20,000 characters."
DOCUMENT_NOT_EDITABLE = "Only internal documents can be written; runbooks and policies are not."


@transaction.atomic
def document_write(
    *, title: str, body: str, category: str = "", task_id: int | None = None
) -> Article:
    """Creates an internal document, or a new version of the document with the same title.

    A title is never cut: one over ``MAX_TITLE`` is an error. Each distinct title keeps its
    own document: titles that slugify alike (punctuation, case, non-Latin script) get a slug
    made unique with a short hash of the title."""
    title, body = " ".join(title.split()), body.strip()
    if not title:
        raise ApplicationError(DOCUMENT_TITLE_REQUIRED, {"field": "title"})
    if len(title) > MAX_TITLE:
        raise ApplicationError(
            DOCUMENT_TITLE_TOO_LONG, {"field": "title", "length": len(title), "max": MAX_TITLE}
        )
    if not body:
        raise ApplicationError(DOCUMENT_BODY_REQUIRED, {"field": "body"})
    if len(body) > 20_000:
        raise ApplicationError(DOCUMENT_TOO_LONG, {"field": "body"})
    existing = (
        Article.objects.select_for_update().filter(title__iexact=title).order_by("pk").first()
    )
    if existing is not None:
        if existing.kind != Article.Kind.DOCUMENT:
            raise ApplicationError(DOCUMENT_NOT_EDITABLE, {"field": "title"})
        if existing.body == body and (not category or existing.category == category[:40]):
            # The same write again (a tool call repeated after a worker died): no new version.
            return existing
        existing.body, existing.version = body, existing.version + 1
        existing.category = category or existing.category
        existing.save(update_fields=["body", "version", "category", "updated_at"])
        return existing
    base = slugify(title)[:100] or "document"
    slug = base
    if Article.objects.filter(slug=slug).exists():
        digest = hashlib.sha256(title.encode()).hexdigest()[:10]
        slug = f"{base}-{digest}"
    return Article.objects.create(
        kind=Article.Kind.DOCUMENT,
        slug=slug,
        title=title,
        body=body,
        category=category[:40],
        created_by_task_id=task_id,
    )
