"""API schemas for customers and orders (read-only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Field, Schema

from tasks.api.common import MAX_ID, OneOf, PageParams, SafeStr, choice_values
from tools_app.models import Customer, Order

CustomerPlan = Annotated[str, OneOf(choice_values(Customer.Plan), "Subscription plan.")]
OrderKind = Annotated[str, OneOf(choice_values(Order.Kind), "One-off purchase or subscription.")]
OrderStatus = Annotated[str, OneOf(choice_values(Order.Status), "Order status.")]
# Money is a decimal string ("19.00"): floats would lose cents.
Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["19.00"])]


class CustomerRef(Schema):
    id: int
    name: str
    email: str


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    username: str
    plan: CustomerPlan
    created_at: datetime


class OrderOut(Schema):
    number: str
    customer: CustomerRef
    kind: OrderKind
    description: str
    amount: Money
    currency: str
    status: OrderStatus
    billing_period: str = Field(description='"2026-10" for a subscription charge, else "".')
    charged_at: datetime
    shipped_at: datetime | None
    expected_delivery: date | None
    delivered_at: datetime | None
    refunded_amount: Money
    refundable_amount: Money

    @staticmethod
    def resolve_amount(obj: Order) -> str:
        return f"{obj.amount:.2f}"

    @staticmethod
    def resolve_refunded_amount(obj: Order) -> str:
        return f"{obj.refunded_amount:.2f}"

    @staticmethod
    def resolve_refundable_amount(obj: Order) -> str:
        return f"{obj.refundable_amount:.2f}"


class CustomerDetailOut(CustomerOut):
    recent_orders: list[OrderOut] = Field(description="The 10 newest orders, newest first.")


class CustomerPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[CustomerOut]


class OrderPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[OrderOut]


class CustomerListParams(PageParams):
    q: SafeStr = Field(
        "", max_length=200, description="Words found in the name, email or username."
    )


class OrderListParams(PageParams):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this customer's.")
    status: OrderStatus | None = None
