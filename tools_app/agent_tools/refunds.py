"""``issue_refund``: the one tool that moves money, so a person approves every call.

``needs_approval`` validates first: a call that breaks a rule is never put before a person;
its body runs instead and answers with the error. The body issues a refund only for a call
whose ``ApprovalRequest`` was approved, so a rule that starts to pass in between changes
nothing."""

from __future__ import annotations

from typing import Any

from agents import RunContextWrapper
from agents.tool_context import ToolContext
from asgiref.sync import sync_to_async

from tasks.agents.context import SupportContext
from tasks.services.task_refunds import refund_summary, task_refund_execute, task_refund_validate
from tools_app.agent_tools.base import support_tool
from tools_app.errors import ApplicationError


async def refund_needs_approval(
    ctx: RunContextWrapper[SupportContext], params: dict[str, Any], call_id: str
) -> bool:
    """True only for a refund the rules allow: that call pauses the run for a person."""
    try:
        await sync_to_async(task_refund_validate)(
            customer_id=ctx.context.customer_id,
            order_number=str(params.get("order_number", "")),
            amount=params.get("amount"),
            reason=str(params.get("reason", "")),
        )
    except ApplicationError:
        return False
    return True


def _describe(customer_id: int | None, arguments: dict[str, Any]) -> tuple[str, str]:
    reason = str(arguments.get("reason", ""))
    try:
        order, amount = task_refund_validate(
            customer_id=customer_id,
            order_number=str(arguments.get("order_number", "")),
            amount=arguments.get("amount"),
            reason=reason,
        )
    except ApplicationError:
        return f"Refund {arguments.get('amount')} on {arguments.get('order_number')}", reason
    return refund_summary(order=order, amount=amount, reason=reason), reason


def _execute(**kwargs: Any) -> dict[str, Any]:
    refund = task_refund_execute(**kwargs)
    order = refund.order
    return {
        "refund": {
            "id": refund.pk,
            "order_number": order.number,
            "amount": str(refund.amount),
            "order_status": order.status,
        }
    }


async def describe_refund(context: SupportContext, arguments: dict[str, Any]) -> tuple[str, str]:
    """``(summary, reason)`` of a paused refund call, for its approval request."""
    return await sync_to_async(_describe)(context.customer_id, arguments)


@support_tool(needs_approval=refund_needs_approval)
async def issue_refund(
    ctx: ToolContext[SupportContext], order_number: str, amount: str, reason: str
) -> dict[str, Any]:
    """Refund (part of) an order of the ticket's customer. A person must approve every refund:
    the task pauses until they decide, and a rejection comes back with their note.

    Only ask for a refund the refund policy allows (window, limit, order status) and that the
    order data supports; a request that breaks a rule is refused with the reason.

    Args:
        order_number: The order to refund, e.g. "ORD-10234".
        amount: The amount as a decimal string, e.g. "19.00"; at most what remains refundable.
        reason: Why, in a few words an approver can check, e.g. "duplicate October charge".
    """
    return await sync_to_async(_execute)(
        task_id=ctx.context.task_id,
        customer_id=ctx.context.customer_id,
        call_id=ctx.tool_call_id,
        order_number=order_number,
        amount=amount,
        reason=reason,
    )
