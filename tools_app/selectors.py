"""Reads over the business systems. Plain querysets and objects; no side effects."""

from __future__ import annotations

import re
import time
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from tools_app.errors import ApplicationError
from tools_app.models import Article, Customer, Order, ToolSetting

CUSTOMER_NOT_FOUND = "No customer matches that id, email or username."
ORDER_NOT_FOUND = "No order with that number belongs to this customer."
ARTICLE_NOT_FOUND = "No knowledge-base article with that slug."
REFUND_POLICY_SLUG = "refund-policy"

# Knowledge-base search: words too common to tell articles apart, and how words are compared.
SEARCH_STOP_WORDS = frozenset(
    """about after again all also and any are because been before being but can cannot could
    did does doing done for from get got had has have having hello her here hers him his
    how into its just like may more most much need needs not now off once only other our ours
    out over own please same she should some such than thank thanks that the their theirs them
    then there these they this those through too under until very want was way were what when
    where which while who whom why will with would you your yours""".split()
)
SEARCH_STEM_LENGTH = 5
SEARCH_MAX_TERMS = 12
SEARCH_TITLE_WEIGHT = 3
SEARCH_CANDIDATES = 200
_SEARCH_WORD = re.compile(r"[a-z0-9]+")

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


def _search_stem(word: str) -> str:
    """A crude stem: "invite", "inviting" and "invitees" all become "invit"."""
    return word[:SEARCH_STEM_LENGTH]


def search_terms(query: str) -> list[str]:
    """The stems of the words of ``query`` that can tell articles apart, in order."""
    terms: list[str] = []
    for word in _SEARCH_WORD.findall(query.lower()):
        if len(word) < 3 or word in SEARCH_STOP_WORDS:
            continue
        stem = _search_stem(word)
        if stem not in terms:
            terms.append(stem)
    return terms[:SEARCH_MAX_TERMS]


def _term_in(term: str, words: set[str]) -> bool:
    # A short term must be a whole word (or its plural): "add" must not match "address".
    if len(term) < SEARCH_STEM_LENGTH - 1:
        return term in words or f"{term}s" in words
    return any(word.startswith(term) for word in words)


def article_search(*, query: str, kind: str = "", limit: int = 5) -> list[Article]:
    """Articles ranked by the query words they contain, best first.

    Common words ("how", "do", "our") are ignored and words are compared by their stem. A
    word in the title scores three times one in the body only, so "How do I add people to our
    team?" finds "inviting teammates" before a runbook that mentions a team lead. Articles
    that share no word with the query are left out; a query of only common words lists the
    articles by title."""
    terms = search_terms(query)
    qs = Article.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if not terms:
        return list(qs.order_by("title", "id")[:limit])
    condition = Q()
    for term in terms:
        condition |= Q(title__icontains=term) | Q(body__icontains=term)
    candidates = list(qs.filter(condition).order_by("id")[:SEARCH_CANDIDATES])

    def score(article: Article) -> tuple[int, int, str, int]:
        title = set(_SEARCH_WORD.findall(article.title.lower()))
        body = set(_SEARCH_WORD.findall(article.body.lower()))
        in_title = sum(_term_in(t, title) for t in terms)
        in_body = sum(_term_in(t, body) and not _term_in(t, title) for t in terms)
        points = SEARCH_TITLE_WEIGHT * in_title + in_body
        return (-points, -(in_title + in_body), article.title, article.pk)

    ranked = sorted((score(a), a) for a in candidates)
    return [article for key, article in ranked if key[0] < 0][:limit]


def refund_policy_rules() -> dict[str, Any]:
    article = Article.objects.filter(slug=REFUND_POLICY_SLUG).first()
    rules = dict(DEFAULT_REFUND_RULES)
    if article is not None and article.rules:
        rules.update(article.rules)
    return rules


# What a process last read of the admin's tool switches, reused for
# ``settings.TOOL_SWITCHES_SECONDS``: a switch reaches every process's next runs within that,
# and this process's at once (``tools_switched_off_forget`` runs when a row is saved here).
# Reading them at every run cost 1.7 ms of a worker's CPU per task.
_switches: tuple[float, frozenset[str]] | None = None


def tools_switched_off() -> frozenset[str]:
    """The names of the tools staff switched off in the admin (a query at most every
    ``settings.TOOL_SWITCHES_SECONDS`` per process)."""
    global _switches
    now = time.monotonic()
    cached = _switches
    if cached is not None and now - cached[0] < settings.TOOL_SWITCHES_SECONDS:
        return cached[1]
    names = frozenset(ToolSetting.objects.filter(enabled=False).values_list("name", flat=True))
    _switches = (now, names)
    return names


def tools_switched_off_forget(**kwargs: object) -> None:
    """Reads the switches again next time (connected to ``ToolSetting`` saves)."""
    global _switches
    _switches = None
