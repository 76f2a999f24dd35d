"""Customer and order endpoints, read-only. Every list is one COUNT plus one page query."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import P, PathEx, Query, Router

from tasks.api.common import (
    ERROR_SHAPES,
    MAX_ID,
    SafeStr,
    error_responses,
    not_found,
    paginate,
)
from tasks.api.customer_schemas import (
    CustomerDetailOut,
    CustomerListParams,
    CustomerPage,
    OrderListParams,
    OrderOut,
    OrderPage,
)
from tools_app import selectors
from tools_app.errors import ApplicationError
from tools_app.models import Customer, Order

router = Router(tags=["customers"])

RECENT_ORDERS = 10


@router.get(
    "/customers",
    response={200: CustomerPage, **error_responses(400, 401, 403)},
    operation_id="listCustomers",
    summary="List customers",
    description="Customers by name, optionally searched with `q`. Paginated with `limit` and "
    "`offset`; `count` is the total before paging.\n" + ERROR_SHAPES,
)
def customer_list(request: HttpRequest, params: Query[CustomerListParams]) -> dict[str, Any]:
    return paginate(selectors.customer_list(search=params.q), params)


@router.get(
    "/customers/{customer_id}",
    response={200: CustomerDetailOut, **error_responses(400, 401, 403, 404)},
    operation_id="getCustomer",
    summary="Get a customer with their recent orders",
    description=f"One customer and their {RECENT_ORDERS} newest orders.\n" + ERROR_SHAPES,
)
def customer_detail(request: HttpRequest, customer_id: PathEx[int, P(ge=1, le=MAX_ID)]) -> Customer:
    try:
        customer = selectors.customer_get(customer_id=customer_id)
    except ApplicationError as exc:
        raise not_found("customer", customer_id) from exc
    # The schema reads ``recent_orders`` off the object: one more query, not one per order.
    customer.recent_orders = list(  # type: ignore[attr-defined]
        selectors.order_list_for_customer(customer_id=customer.pk, limit=RECENT_ORDERS)
    )
    return customer


@router.get(
    "/orders",
    response={200: OrderPage, **error_responses(400, 401, 403)},
    operation_id="listOrders",
    summary="List orders",
    description="Orders, newest charge first, filtered by `customer_id` and `status`. "
    "Paginated with `limit` and `offset`.\n" + ERROR_SHAPES,
)
def order_list(request: HttpRequest, params: Query[OrderListParams]) -> dict[str, Any]:
    orders = selectors.order_list(customer_id=params.customer_id, status=params.status or "")
    return paginate(orders, params)


@router.get(
    "/orders/{number}",
    response={200: OrderOut, **error_responses(400, 401, 403, 404)},
    operation_id="getOrder",
    summary="Get an order by number",
    description="One order by its number (case-insensitive), e.g. `ORD-10001`.\n" + ERROR_SHAPES,
)
def order_detail(
    request: HttpRequest, number: PathEx[SafeStr, P(min_length=1, max_length=32)]
) -> Order:
    try:
        return selectors.order_get(number=number)
    except ApplicationError as exc:
        raise not_found("order", number) from exc
