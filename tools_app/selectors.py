"""Reads over the business systems. Plain querysets and objects; no side effects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from tools_app.errors import ApplicationError
from tools_app.models import Article, Customer, Order

CUSTOMER_NOT_FOUND = "No customer matches that id, email or username."
ORDER_NOT_FOUND = "No order with that number belongs to this customer."
ARTICLE_NOT_FOUND = "No knowledge-base article with that slug."
REFUND_POLICY_SLUG = "refund-policy"

# Used when the refund policy article is missing or has no rules: refuse generously-sized
# refunds rather than allow anything.
DEFAULT_REFUND_RULES: dict[str, Any] = {
    "refund_window_days": 30,
    "max_refund_amount": "500.00",
    "refundable_statuses": ["paid", "shipped", "delivered", "partially_refunded"],
}


def customer_get(*, customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ApplicationError(CUSTOMER_NOT_FOUND, {"field": "customer_id"})
    return customer


def customer_find(*, query: str) -> Customer | None:
    """Finds one customer by exact email or username (case-insensitive)."""
    query = query.strip()
    if not query:
        return None
    return Customer.objects.filter(Q(email__iexact=query) | Q(username__iexact=query)).first()


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if search.strip():
        term = search.strip()
        qs = qs.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(username__icontains=term)
        )
    return qs.order_by("name", "id")


def order_list_for_customer(*, customer_id: int, limit: int | None = 10) -> QuerySet[Order]:
    qs = Order.objects.filter(customer_id=customer_id).order_by("-charged_at", "-id")
    return qs[:limit] if limit else qs


def order_list(*, customer_id: int | None = None, status: str = "") -> QuerySet[Order]:
    qs = Order.objects.select_related("customer").order_by("-charged_at", "-id")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def order_get(*, number: str, customer_id: int | None = None) -> Order:
    """One order by number. With ``customer_id`` the order must belong to that customer; an
    order of someone else is reported exactly like a missing one, so nothing leaks."""
    qs = Order.objects.select_related("customer").filter(number__iexact=number.strip())
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    order = qs.first()
    if order is None:
        raise ApplicationError(ORDER_NOT_FOUND, {"field": "order_number", "value": number})
    return order


def order_refunded_total(*, order: Order) -> Decimal:
    return order.refunded_amount


def article_get(*, slug: str) -> Article:
    article = Article.objects.filter(slug=slug.strip()).first()
    if article is None:
        raise ApplicationError(ARTICLE_NOT_FOUND, {"field": "slug", "value": slug})
    return article


def article_runbook_for_category(*, category: str) -> Article | None:
    return (
        Article.objects.filter(kind=Article.Kind.RUNBOOK, category=category)
        .order_by("-version")
        .first()
    )


def article_search(*, query: str, kind: str = "", limit: int = 5) -> list[Article]:
    """Ranks articles by how many query words they contain (title words count double)."""
    words = [w for w in query.lower().split() if len(w) > 2][:12]
    qs = Article.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if not words:
        return list(qs.order_by("title")[:limit])
    condition = Q()
    for word in words:
        condition |= Q(title__icontains=word) | Q(body__icontains=word)
    candidates = list(qs.filter(condition)[:200])

    def score(article: Article) -> tuple[int, str]:
        title, body = article.title.lower(), article.body.lower()
        return (-sum(2 * (w in title) + (w in body) for w in words), article.title)

    return sorted(candidates, key=score)[:limit]


def refund_policy_rules() -> dict[str, Any]:
    article = Article.objects.filter(slug=REFUND_POLICY_SLUG).first()
    rules = dict(DEFAULT_REFUND_RULES)
    if article is not None and article.rules:
        rules.update(article.rules)
    return rules
