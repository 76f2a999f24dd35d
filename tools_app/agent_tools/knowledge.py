"""Knowledge-base tools: runbooks by ticket category, search (every kind, or policies with their
rules), documents."""

from __future__ import annotations

from typing import Any

from agents import RunContextWrapper
from asgiref.sync import sync_to_async

from tools_app.agent_tools.base import support_tool
from tools_app.agent_tools.context import SupportContext
from tools_app.agent_tools.serializers import article_dict, excerpt
from tools_app.errors import ApplicationError
from tools_app.models import Article
from tools_app.selectors import article_get, article_runbook_for_category, article_search
from tools_app.services.articles import document_write

RUNBOOK_NOT_FOUND = "No runbook for that category; search the knowledge base instead."
KIND_INVALID = 'kind must be "" (every kind), "runbook", "policy" or "document".'
POLICY_LIMIT = 5
SEARCH_LIMIT = 5
SEARCH_KINDS = ("", *Article.Kind.values)


def _runbook(category: str) -> dict[str, Any]:
    article = article_runbook_for_category(category=category.strip().lower())
    if article is None:
        raise ApplicationError(RUNBOOK_NOT_FOUND, {"field": "category", "value": category})
    return {
        "runbook": {
            "slug": article.slug,
            "title": article.title,
            "body": article.body,
            "version": article.version,
        }
    }


def _policies(query: str) -> dict[str, Any]:
    articles = article_search(query=query, kind=Article.Kind.POLICY, limit=POLICY_LIMIT)
    return {
        "policies": [
            {"slug": a.slug, "title": a.title, "excerpt": excerpt(a.body), "rules": a.rules}
            for a in articles
        ]
    }


def _search(query: str, kind: str) -> dict[str, Any]:
    articles = article_search(query=query, kind=kind, limit=SEARCH_LIMIT)
    return {
        "articles": [
            {"slug": a.slug, "kind": a.kind, "title": a.title, "excerpt": excerpt(a.body)}
            for a in articles
        ]
    }


def _document(slug: str) -> dict[str, Any]:
    return {"article": article_dict(article_get(slug=slug))}


def _write(task_id: int, title: str, body: str) -> dict[str, Any]:
    article = document_write(title=title, body=body, task_id=task_id)
    return {"document": {"slug": article.slug, "title": article.title, "version": article.version}}


@support_tool
async def get_runbook(ctx: RunContextWrapper[SupportContext], category: str) -> dict[str, Any]:
    """Get the team's runbook for a ticket category: how this kind of ticket is handled.

    Args:
        category: The ticket category, e.g. "refund", "billing", "shipping", "damaged_item",
            "account_access", "bug_report", "how_to", "invoice" or "other".
    """
    return await sync_to_async(_runbook)(category)


@support_tool
async def search_policies(ctx: RunContextWrapper[SupportContext], query: str) -> dict[str, Any]:
    """Search the company policies; each result has its machine-readable rules.

    The refund policy (slug "refund-policy") has the rules refund_window_days,
    max_refund_amount and refundable_statuses that every refund must satisfy.

    Args:
        query: Words to search for, e.g. "refund window".
    """
    return await sync_to_async(_policies)(query)


@support_tool
async def search_knowledge_base(
    ctx: RunContextWrapper[SupportContext], query: str, kind: str = ""
) -> dict[str, Any]:
    """Search the whole knowledge base: help-centre guides, known issues and other internal
    documents, policies and runbooks. Best matches first; read one in full with read_document.

    Args:
        query: What the question is about, e.g. "invite people to our team" or
            "CSV export empty".
        kind: "" for every kind, or only "document" (guides, known issues), "policy" or
            "runbook".
    """
    wanted = kind.strip().lower()
    if wanted not in SEARCH_KINDS:
        raise ApplicationError(KIND_INVALID, {"field": "kind", "value": kind})
    return await sync_to_async(_search)(query, wanted)


@support_tool
async def read_document(ctx: RunContextWrapper[SupportContext], slug: str) -> dict[str, Any]:
    """Read a knowledge-base article (runbook, policy or internal document) in full.

    Args:
        slug: The article's slug, e.g. "refund-policy".
    """
    return await sync_to_async(_document)(slug)


@support_tool
async def write_document(
    ctx: RunContextWrapper[SupportContext], title: str, body: str
) -> dict[str, Any]:
    """Write an internal knowledge-base document (a new version if the title exists).

    Args:
        title: The document title (up to 200 characters; the same title makes a new version).
        body: The document text (up to 20,000 characters).
    """
    return await sync_to_async(_write)(ctx.context.task_id, title, body)
