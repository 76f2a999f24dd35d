"""Customer and order tools: always the ticket's customer, taken from the run context."""

from __future__ import annotations

from typing import Any

from agents import RunContextWrapper
from asgiref.sync import sync_to_async

from tools_app.agent_tools.base import customer_id_of, support_tool
from tools_app.agent_tools.context import SupportContext
from tools_app.agent_tools.serializers import customer_dict, order_dict
from tools_app.selectors import customer_get, order_get, order_list_for_customer

RECENT_ORDERS = 10


def _customer_with_orders(customer_id: int) -> dict[str, Any]:
    customer = customer_get(customer_id=customer_id)
    orders = order_list_for_customer(customer_id=customer_id, limit=RECENT_ORDERS)
    return {"customer": customer_dict(customer), "recent_orders": [order_dict(o) for o in orders]}


def _order(customer_id: int, order_number: str) -> dict[str, Any]:
    return {"order": order_dict(order_get(number=order_number, customer_id=customer_id))}


@support_tool
async def lookup_customer(ctx: RunContextWrapper[SupportContext]) -> dict[str, Any]:
    """Look up the ticket's customer: profile and their 10 most recent orders, newest first.

    Every order shows its amount, status, billing period (subscription charges), dates, the
    amount already refunded and what remains refundable.
    """
    return await sync_to_async(_customer_with_orders)(customer_id_of(ctx))


@support_tool
async def get_order(ctx: RunContextWrapper[SupportContext], order_number: str) -> dict[str, Any]:
    """Get one order of the ticket's customer by its number.

    Args:
        order_number: The order number, e.g. "ORD-10234".
    """
    return await sync_to_async(_order)(customer_id_of(ctx), order_number)
