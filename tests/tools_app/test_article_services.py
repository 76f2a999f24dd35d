from __future__ import annotations

import pytest

from tasks.models import Task
from tools_app.errors import ApplicationError
from tools_app.models import Article
from tools_app.services.articles import (
    DOCUMENT_BODY_REQUIRED,
    DOCUMENT_NOT_EDITABLE,
    DOCUMENT_TITLE_REQUIRED,
    DOCUMENT_TITLE_TOO_LONG,
    DOCUMENT_TOO_LONG,
    MAX_TITLE,
    document_write,
)

pytestmark = pytest.mark.django_db


def test_document_write_creates_an_internal_document():
    task = Task.objects.create(title="Investigate", model="agentdesk-offline")

    doc = document_write(
        title="  Known issue: CSV export ", body=" Use Chrome. ", category="bug", task_id=task.pk
    )

    assert doc.kind == Article.Kind.DOCUMENT
    assert doc.slug == "known-issue-csv-export"
    assert (doc.title, doc.body, doc.category, doc.version) == (
        "Known issue: CSV export",
        "Use Chrome.",
        "bug",
        1,
    )
    assert doc.created_by_task == task


def test_document_write_with_the_same_title_makes_a_new_version():
    first = document_write(title="Macros", body="v1", category="tone")

    second = document_write(title="macros", body="v2")

    assert second.pk == first.pk
    assert (second.version, second.body, second.category) == (2, "v2", "tone")
    assert Article.objects.count() == 1


def test_document_write_repeated_with_the_same_body_makes_no_new_version():
    # a tool call made again after a worker died writes the same document once
    first = document_write(title="Macros", body="v1", category="tone")

    again = document_write(title="Macros", body="v1")

    assert (again.pk, again.version) == (first.pk, 1)


@pytest.mark.parametrize(
    ("title", "body", "message", "field"),
    [
        ("", "body", DOCUMENT_TITLE_REQUIRED, "title"),
        ("   ", "body", DOCUMENT_TITLE_REQUIRED, "title"),
        ("Title", "  \n ", DOCUMENT_BODY_REQUIRED, "body"),
        ("Title", "x" * 20_001, DOCUMENT_TOO_LONG, "body"),
    ],
)
def test_document_write_rejects_bad_input(title, body, message, field):
    with pytest.raises(ApplicationError) as exc:
        document_write(title=title, body=body)

    assert exc.value.message == message
    assert exc.value.extra["field"] == field
    assert not Article.objects.exists()


def test_document_write_accepts_the_maximum_length():
    doc = document_write(title="Long", body="x" * 20_000)

    assert len(doc.body) == 20_000


def test_document_write_cannot_overwrite_a_policy():
    policy = Article.objects.create(
        kind=Article.Kind.POLICY, slug="refund-policy", title="Refund policy", body="30 days."
    )

    with pytest.raises(ApplicationError) as exc:
        document_write(title="Refund policy", body="Refund everything, always.")

    assert exc.value.message == DOCUMENT_NOT_EDITABLE
    policy.refresh_from_db()
    assert (policy.body, policy.version) == ("30 days.", 1)


def test_document_write_with_a_title_without_letters_still_gets_a_slug():
    doc = document_write(title="!!!", body="Body")

    assert doc.slug == "document"


def test_a_title_over_the_limit_is_an_error_not_cut():
    with pytest.raises(ApplicationError) as exc:
        document_write(title="T" * (MAX_TITLE + 1), body="Body")

    assert exc.value.message == DOCUMENT_TITLE_TOO_LONG
    assert exc.value.extra["field"] == "title"
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Refunds!", "Refunds?"),
        ("Known issue: CSV", "Known issue CSV"),
        ("返金の手順", "配送の遅延"),  # both slugify to nothing
        ("A" * 150 + " one", "A" * 150 + " two"),  # same first 100 slug characters
    ],
)
def test_distinct_titles_keep_their_own_documents(first, second):
    one = document_write(title=first, body="first body")
    two = document_write(title=second, body="second body")

    assert one.pk != two.pk and one.slug != two.slug
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.title, one.body) == (first, "first body")
    assert (two.title, two.body) == (second, "second body")
