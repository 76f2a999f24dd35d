from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tasks.demo.seed import seed_demo
from tests.factories import make_customer, make_order, make_refund_policy
from tools_app.errors import ApplicationError
from tools_app.models import Article, Order
from tools_app.selectors import (
    ARTICLE_NOT_FOUND,
    CUSTOMER_NOT_FOUND,
    DEFAULT_REFUND_RULES,
    ORDER_NOT_FOUND,
    article_get,
    article_runbook_for_category,
    article_search,
    customer_find,
    customer_get,
    customer_list,
    order_get,
    order_list,
    order_list_for_customer,
    refund_policy_rules,
)

pytestmark = pytest.mark.django_db


def _article(slug: str, **kw) -> Article:
    defaults = {"kind": Article.Kind.DOCUMENT, "title": slug.title(), "body": "Text."}
    return Article.objects.create(slug=slug, **{**defaults, **kw})


def test_customer_get_returns_the_customer():
    customer = make_customer()

    assert customer_get(customer_id=customer.pk) == customer


def test_customer_get_unknown_id_names_the_field():
    with pytest.raises(ApplicationError) as exc:
        customer_get(customer_id=999_999)

    assert exc.value.message == CUSTOMER_NOT_FOUND
    assert exc.value.extra["field"] == "customer_id"


@pytest.mark.parametrize("query", ["JANE@Example.com", " jane@example.com ", "JaneD"])
def test_customer_find_matches_email_or_username_ignoring_case(query):
    jane = make_customer(email="jane@example.com", username="janed")
    make_customer(email="janet@example.com", username="janet")

    assert customer_find(query=query) == jane


@pytest.mark.parametrize("query", ["", "   ", "jane", "nobody@example.com"])
def test_customer_find_without_an_exact_match_is_none(query):
    make_customer(email="jane@example.com", username="janed")

    assert customer_find(query=query) is None


def test_customer_list_searches_name_email_and_username():
    ada = make_customer(name="Ada Lovelace", email="ada@math.example", username="countess")
    make_customer(name="Alan Turing", email="alan@bletchley.example", username="alan")

    assert list(customer_list(search="lovelace")) == [ada]
    assert list(customer_list(search="MATH.example")) == [ada]
    assert list(customer_list(search="countess")) == [ada]
    assert [c.name for c in customer_list()] == ["Ada Lovelace", "Alan Turing"]


def test_order_list_for_customer_is_newest_first_and_only_theirs():
    customer = make_customer()
    now = timezone.now()
    old = make_order(customer=customer, charged_at=now - timedelta(days=9))
    new = make_order(customer=customer, charged_at=now - timedelta(days=1))
    make_order()  # someone else's

    assert list(order_list_for_customer(customer_id=customer.pk)) == [new, old]
    assert list(order_list_for_customer(customer_id=customer.pk, limit=1)) == [new]


def test_order_list_for_customer_without_limit_returns_everything():
    customer = make_customer()
    for _ in range(12):
        make_order(customer=customer)

    assert order_list_for_customer(customer_id=customer.pk).count() == 10
    assert order_list_for_customer(customer_id=customer.pk, limit=None).count() == 12


def test_order_list_filters_by_customer_and_status():
    customer = make_customer()
    shipped = make_order(customer=customer, status=Order.Status.SHIPPED)
    make_order(customer=customer, status=Order.Status.PAID)
    make_order(status=Order.Status.SHIPPED)

    assert list(order_list(customer_id=customer.pk, status="shipped")) == [shipped]
    assert order_list(status="shipped").count() == 2
    assert order_list().count() == 3


def test_order_get_ignores_case_and_spaces():
    order = make_order(number="ORD-55555")

    assert order_get(number="  ord-55555 ") == order


def test_order_get_of_another_customer_looks_exactly_like_a_missing_order():
    order = make_order(number="ORD-55555")
    stranger = make_customer()

    with pytest.raises(ApplicationError) as foreign:
        order_get(number=order.number, customer_id=stranger.pk)
    with pytest.raises(ApplicationError) as missing:
        order_get(number="ORD-00000", customer_id=stranger.pk)

    assert foreign.value.message == missing.value.message == ORDER_NOT_FOUND
    assert foreign.value.extra.keys() == missing.value.extra.keys()
    assert order.customer.name not in str(foreign.value.as_dict())


def test_order_get_for_its_owner_succeeds():
    order = make_order()

    assert order_get(number=order.number, customer_id=order.customer_id) == order


def test_article_get_by_slug_or_error():
    article = _article("escalation-contacts")

    assert article_get(slug=" escalation-contacts ") == article
    with pytest.raises(ApplicationError) as exc:
        article_get(slug="nope")
    assert exc.value.message == ARTICLE_NOT_FOUND
    assert exc.value.extra == {"field": "slug", "value": "nope"}


def test_article_runbook_for_category_returns_the_newest_version():
    _article("runbook-refund-v1", kind=Article.Kind.RUNBOOK, category="refund", version=1)
    newest = _article("runbook-refund", kind=Article.Kind.RUNBOOK, category="refund", version=3)
    _article("refund-doc", kind=Article.Kind.DOCUMENT, category="refund", version=9)

    assert article_runbook_for_category(category="refund") == newest
    assert article_runbook_for_category(category="shipping") is None


def test_article_search_ranks_title_matches_above_body_matches():
    in_body = _article("a", title="Shipping times", body="Late parcels and refund of fees.")
    in_title = _article("b", title="Refund policy", body="Rules for money back.")
    _article("c", title="Account security", body="Two-factor resets.")

    assert article_search(query="refund") == [in_title, in_body]


def test_article_search_filters_by_kind_and_limits():
    policy = _article("p", kind=Article.Kind.POLICY, title="Refund policy")
    _article("d", kind=Article.Kind.DOCUMENT, title="Refund notes")

    assert article_search(query="refund", kind=Article.Kind.POLICY) == [policy]
    assert len(article_search(query="refund", limit=1)) == 1


def test_article_search_with_only_short_words_lists_articles_by_title():
    b = _article("b", title="Beta")
    a = _article("a", title="Alpha")

    assert article_search(query="to of a") == [a, b]


def test_article_search_ignores_common_words_and_matches_word_stems():
    guide = _article(
        "help-inviting-teammates",
        title="Help centre: inviting teammates and roles",
        body="Admins invite people from Settings > Team > Invite.",
    )
    # "how", "our" and "to" are everywhere; only the common words match this one.
    _article("faq", title="How to reach our office", body="How our support hours work.")
    # "add" is a word of its own: "address" is no match for it.
    _article("shipping", title="Change the delivery address", body="Addresses of shipments.")

    assert article_search(query="How do I add people to our team?") == [guide]
    assert article_search(query="inviting") == article_search(query="invite") == [guide]


def test_article_search_weighs_title_matches_above_body_matches():
    known = _article(
        "known-issue-csv",
        title="Known issue: empty CSV export in Safari",
        body="Use another browser.",
    )
    guide = _article(
        "help-bookings",
        title="Help centre: bookings",
        body="Bookings can be exported under Reports; the export is a CSV file, never empty.",
    )

    assert article_search(query="CSV export of bookings is empty") == [known, guide]


def test_article_search_finds_the_demo_guide_and_known_issue():
    seed_demo()

    how_to = article_search(query="How do I add people to our team?")
    bug = article_search(query="CSV export of bookings is empty", kind=Article.Kind.DOCUMENT)

    assert how_to[0].slug == "help-inviting-teammates"
    assert bug[0].slug == "known-issue-csv-export-safari"
    assert {a.kind for a in bug} == {Article.Kind.DOCUMENT}


def test_refund_policy_rules_default_without_a_policy():
    assert refund_policy_rules() == DEFAULT_REFUND_RULES


def test_refund_policy_rules_come_from_the_policy_article():
    make_refund_policy(max_refund_amount="150.00", refund_window_days=14)

    rules = refund_policy_rules()

    assert rules["max_refund_amount"] == "150.00"
    assert rules["refund_window_days"] == 14
    # Keys the article leaves out keep their safe defaults.
    assert rules["refundable_statuses"] == DEFAULT_REFUND_RULES["refundable_statuses"]
    assert Decimal(rules["max_refund_amount"]) < Decimal(DEFAULT_REFUND_RULES["max_refund_amount"])
