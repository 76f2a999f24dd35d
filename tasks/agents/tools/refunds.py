"""``issue_refund``: the one tool that moves money, so a person approves every call.

Its input guardrail (``validate``) checks the call before the run pauses: a call that breaks
a rule, or asks about an order that already has a pending request, is answered with the error
and never put before a person. The body issues a refund only for the exact action a person
approved (tool, canonical arguments, task, run), once."""

from __future__ import annotations

from typing import Any

from agents import RunContextWrapper
from agents.tool_context import ToolContext
from asgiref.sync import sync_to_async

from tasks.services.approval_actions import Action, PreparedAction
from tasks.services.task_refunds import (
    task_refund_action,
    task_refund_check,
    task_refund_execute,
    task_refund_prepare,
)
from tools_app.agent_tools.base import support_tool
from tools_app.agent_tools.context import SupportContext


async def refund_validate(
    ctx: RunContextWrapper[SupportContext], arguments: dict[str, Any], call_id: str
) -> None:
    context = ctx.context
    await sync_to_async(task_refund_check)(
        task_id=context.task_id,
        run_number=context.run_number,
        customer_id=context.customer_id,
        call_id=call_id,
        arguments=arguments,
    )


async def prepare_refund(context: SupportContext, arguments: dict[str, Any]) -> PreparedAction:
    """The approval request of a paused refund call; ``ApplicationError`` if it may not be
    asked for (it is then answered with the error and the run goes on)."""
    return await sync_to_async(task_refund_prepare)(
        task_id=context.task_id,
        run_number=context.run_number,
        customer_id=context.customer_id,
        arguments=arguments,
    )


async def refund_action(context: SupportContext, arguments: dict[str, Any]) -> Action:
    """The exact action a refund call would take (``ApplicationError`` if it names no valid
    order and amount)."""
    return await sync_to_async(task_refund_action)(
        task_id=context.task_id,
        run_number=context.run_number,
        customer_id=context.customer_id,
        arguments=arguments,
    )


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


@support_tool(needs_approval=True, validate=refund_validate)
async def issue_refund(
    ctx: ToolContext[SupportContext], order_number: str, amount: str, reason: str
) -> dict[str, Any]:
    """Refund (part of) an order of the ticket's customer. A person must approve every refund:
    the task pauses until they decide, and a rejection comes back with their note.

    Only ask for a refund the refund policy allows (window, limit per order in total, order
    status) and that the order data supports; a request that breaks a rule, or one for an order
    that already has a refund waiting for a decision, is refused with the reason.

    Args:
        order_number: The order to refund, e.g. "ORD-10234".
        amount: The amount as a decimal string, e.g. "19.00"; at most what remains refundable.
        reason: Why, in a few words an approver can check, e.g. "duplicate October charge".
    """
    context = ctx.context
    return await sync_to_async(_execute)(
        task_id=context.task_id,
        run_number=context.run_number,
        customer_id=context.customer_id,
        call_id=ctx.tool_call_id,
        order_number=order_number,
        amount=amount,
        reason=reason,
    )
