from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_api_token, make_customer, make_order
from tools_app.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(staff_user) -> Client:
    _, key = make_api_token(user=staff_user)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    client.get("/api/customers")  # record the token's first use outside the query counts
    return client


def fields(response) -> list[str | None]:
    assert response.status_code == 400, response.content
    return [error["field"] for error in response.json()["detail"]]


def test_customer_list_searches_and_pages(api):
    make_customer(name="Ada Lovelace", email="ada@example.com")
    make_customer(name="Alan Turing")
    make_customer(name="Grace Hopper", username="amazing_grace")

    everyone = api.get("/api/customers?limit=2").json()
    found = api.get("/api/customers?q=grace").json()

    assert everyone["count"] == 3
    assert [c["name"] for c in everyone["results"]] == ["Ada Lovelace", "Alan Turing"]
    assert [c["name"] for c in found["results"]] == ["Grace Hopper"]
    assert found["results"][0]["plan"] == "pro"


def test_customer_detail_has_the_ten_newest_orders(api):
    customer = make_customer()
    now = timezone.now()
    for day in range(12):
        make_order(customer=customer, charged_at=now - timedelta(days=day), amount=Decimal("5"))

    body = api.get(f"/api/customers/{customer.pk}").json()

    assert body["email"] == customer.email
    charged = [o["charged_at"] for o in body["recent_orders"]]
    assert len(charged) == 10
    assert charged == sorted(charged, reverse=True)
    assert body["recent_orders"][0]["amount"] == "5.00"


def test_unknown_customer_is_404(api):
    response = api.get("/api/customers/424242")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found: customer 424242"}


@pytest.mark.parametrize("customer_id", ["x", "0", "9223372036854775808"])
def test_malformed_customer_id_is_400(api, customer_id):
    assert fields(api.get(f"/api/customers/{customer_id}")) == ["customer_id"]


def test_order_list_filters_by_customer_and_status(api):
    alice, bob = make_customer(), make_customer()
    shipped = make_order(customer=alice, status=Order.Status.SHIPPED)
    make_order(customer=alice, status=Order.Status.PAID)
    make_order(customer=bob, status=Order.Status.SHIPPED)

    body = api.get(f"/api/orders?customer_id={alice.pk}&status=shipped").json()

    assert body["count"] == 1
    assert body["results"][0]["number"] == shipped.number
    assert body["results"][0]["customer"]["id"] == alice.pk


def test_order_list_runs_the_same_queries_for_two_orders_or_twenty(api):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/orders?limit=50").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        make_order()
    few = count_queries()
    for _ in range(18):
        make_order()

    assert count_queries() == few


def test_customer_list_runs_the_same_queries_for_any_page(api):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/customers").status_code == 200
        return len(ctx.captured_queries)

    make_customer()
    few = count_queries()
    for _ in range(10):
        make_customer()

    assert count_queries() == few


def test_order_detail_shows_money_as_strings(api):
    order = make_order(number="ORD-77", amount=Decimal("30.00"), refunded_amount=Decimal("12.50"))

    body = api.get("/api/orders/ord-77").json()

    assert body["number"] == order.number
    assert (body["amount"], body["refunded_amount"], body["refundable_amount"]) == (
        "30.00",
        "12.50",
        "17.50",
    )
    assert body["customer"]["email"] == order.customer.email


def test_unknown_order_is_404(api):
    response = api.get("/api/orders/ORD-0")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found: order ORD-0"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("customer_id=-3", "customer_id"),
        ("customer_id=99999999999999999999999", "customer_id"),
        ("limit=1000", "limit"),
    ],
)
def test_order_list_rejects_bad_parameters(api, query, field):
    assert fields(api.get(f"/api/orders?{query}")) == [field]


def test_order_number_with_nul_or_too_long_is_400(api):
    assert fields(api.get("/api/orders/ORD%00")) == ["number"]
    assert fields(api.get("/api/orders/" + "9" * 33)) == ["number"]
