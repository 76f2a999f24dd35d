from __future__ import annotations

import pytest
from agents import Runner
from asgiref.sync import sync_to_async

from tasks.agents.context import SupportContext
from tasks.agents.models.offline import OfflineSupportModel
from tasks.agents.support import build_agent
from tasks.demo.seed import seed_demo
from tasks.models import Ticket, TicketMessage
from tasks.runtime.runner import run_config
from tasks.services.task_start import task_start_for_ticket


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_explore():
    await sync_to_async(seed_demo)()
    agent = build_agent(OfflineSupportModel(delay=0))
    out = []
    async for ticket in Ticket.objects.select_related("customer").filter(status__in=["new", "open", "pending"], number__gt=1011).order_by("number"):
        task, _ = await sync_to_async(task_start_for_ticket)(ticket=ticket, user=None)
        ctx = SupportContext(task.pk, ticket.pk, ticket.customer_id, None)
        result = await Runner.run(agent, task.input, context=ctx, run_config=run_config(), max_turns=40)
        out.append(f"===== #{ticket.number} [{ticket.category}] {ticket.subject}\n{ticket.body[:600]}")
        if result.interruptions:
            out.append(f"PAUSED {[ (i.name, i.arguments) for i in result.interruptions]}")
        else:
            msgs = [m async for m in TicketMessage.objects.filter(task=task).order_by("id")]
            for m in msgs:
                out.append(("NOTE: " if m.is_internal else "REPLY: ") + m.body)
            out.append(f"FINAL {result.final_output}")
    open("/tmp/explore/backlog.txt", "w").write("\n".join(out))
