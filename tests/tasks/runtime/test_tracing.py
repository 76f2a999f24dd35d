"""Traces of task runs: the spans a run records through the SDK's tracing-processor interface
(run, turns, agent, model calls, tool calls, approval waits), stored with the task in the
run's own writes, and sent to an OpenTelemetry collector over OTLP/HTTP when one is set."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from pytest_django.fixtures import Settings as SettingsWrapper

from tasks.agents.providers.tracing import configure_tracing
from tasks.models import Task, TaskSpan
from tasks.runtime.tracing import OtlpProcessor, tracing_install
from tests.otlp_receiver import OtlpReceiver
from tests.tasks.approval_helpers import decide, refund_call, refund_turn, world
from tests.tasks.task_helpers import call, final, run_task, turn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _spans(task_id: int) -> list[TaskSpan]:
    return list(TaskSpan.objects.filter(task_id=task_id).order_by("started_at", "id"))


async def spans(task: Task) -> list[TaskSpan]:
    return await sync_to_async(_spans)(task.pk)


def kinds(rows: list[TaskSpan]) -> dict[str, list[TaskSpan]]:
    found: dict[str, list[TaskSpan]] = {}
    for row in rows:
        found.setdefault(row.kind, []).append(row)
    return found


async def test_a_run_stores_its_trace_with_model_and_tool_spans():
    w = await world()
    task = await run_task(
        w.task,
        [
            turn(call("lookup_customer", {}, id="c1"), input_tokens=120, output_tokens=8),
            final("Jane has two orders.", input_tokens=150, output_tokens=12),
        ],
    )
    assert task.status == Task.Status.COMPLETED

    rows = await spans(task)
    by_kind = kinds(rows)
    # one trace for the run: the agent (its root), two model calls, one tool call
    assert len({r.trace_id for r in rows}) == 1
    assert len(by_kind["agent"]) == 1 and by_kind["agent"][0].parent_id == ""
    assert set(by_kind) == {"agent", "model", "tool"}
    first, second = by_kind["model"]
    assert (first.data["input_tokens"], first.data["output_tokens"]) == (120, 8)
    assert (second.data["input_tokens"], second.data["output_tokens"]) == (150, 12)
    assert first.name == "scripted-test-model" and first.data["latency_ms"] >= 0
    assert second.data["ttft_ms"] is not None  # the reply streamed text
    [tool] = by_kind["tool"]
    assert tool.name == "lookup_customer"
    assert "Jane Doe" in tool.data["output"]
    # parents: every span but the agent's hangs under another span of the trace
    ids = {r.span_id for r in rows}
    assert all(r.parent_id in ids for r in rows if r.kind != "agent")
    assert all(r.ended_at >= r.started_at and r.duration_ms >= 0 for r in rows)
    assert {r.run_number for r in rows} == {1}


async def test_a_resumed_run_records_the_wait_for_approval():
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    assert task.status == Task.Status.AWAITING_APPROVAL
    paused = await spans(task)
    assert "approval" not in kinds(paused)  # nobody has decided yet
    # the paused call is a tool span without a result
    [call_span] = kinds(paused)["tool"]
    assert call_span.name == "issue_refund" and call_span.data["output"] is None

    approval = await decide(w, "r1", note="Duplicate confirmed")
    task = await run_task(task, [final("Refunded the duplicate.")])
    assert task.status == Task.Status.COMPLETED

    resumed = [r for r in await spans(task) if r.trace_id != paused[0].trace_id]
    [wait] = kinds(resumed)["approval"]
    assert wait.name == "issue_refund" and wait.data["decision"] == "approved"
    assert wait.started_at == approval.created_at and wait.ended_at == approval.decided_at
    # the paused call's tool ran in the resumed run (a trace of its own)
    assert [r.name for r in kinds(resumed)["tool"]] == ["issue_refund"]


async def test_stored_traces_can_be_switched_off(settings: SettingsWrapper):
    settings.TRACES_ENABLED = False
    w = await world()
    task = await run_task(w.task, [final("Done.")])
    assert task.status == Task.Status.COMPLETED
    assert await spans(task) == []


@pytest.fixture
def otlp(settings: SettingsWrapper) -> Iterator[tuple[OtlpReceiver, OtlpProcessor]]:
    with OtlpReceiver() as receiver:
        settings.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint
        [processor] = [
            p for p in tracing_install(export_to_openai=False) if isinstance(p, OtlpProcessor)
        ]
        try:
            yield receiver, processor
        finally:
            processor.shutdown()
            settings.OTEL_EXPORTER_OTLP_ENDPOINT = ""
            configure_tracing()


async def test_spans_go_to_an_opentelemetry_collector(otlp: Any):
    receiver, processor = otlp
    w = await world()
    task = await run_task(
        w.task,
        [turn(call("lookup_customer", {}, id="c1")), final("Jane has two orders.")],
    )
    assert task.status == Task.Status.COMPLETED
    processor.force_flush()

    received = receiver.wait_for(lambda found: any(s.name == "AgentDesk task" for s in found))
    assert set(receiver.paths) == {"/v1/traces"}
    [root] = [s for s in received if s.name == "AgentDesk task"]
    assert root.service == "agentdesk" and root.parent_span_id == ""
    assert root.attributes["agentdesk.group_id"] == f"task-{task.pk}"
    in_trace = [s for s in received if s.trace_id == root.trace_id]
    names = {s.name for s in in_trace}
    assert {
        "tool lookup_customer",
        "model scripted-test-model",
        "agent AgentDesk support agent",
    } <= names
    by_id = {s.span_id: s for s in in_trace}
    # every span hangs under another of the same trace, down to the run's root
    assert all(s.parent_span_id in by_id for s in in_trace if s is not root)
    tool = next(s for s in in_trace if s.name == "tool lookup_customer")
    assert "Jane Doe" in tool.attributes["agentdesk.output"]
    assert tool.end_ns >= tool.start_ns > 0
    # the database got the same spans
    assert {r.kind for r in await spans(task)} >= {"tool", "model", "agent"}
