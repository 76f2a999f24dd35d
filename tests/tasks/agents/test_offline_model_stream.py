"""The offline model behind the SDK's Model interface: output items, the Responses streaming
events it emits, usage, its per-turn delay, and a full SDK run with simple tools (no database)."""

from __future__ import annotations

import json

import pytest
from agents import ModelSettings, ModelTracing, Runner, function_tool
from agents.agent import Agent
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseTextDeltaEvent,
)
from pytest_django.fixtures import Settings

from tasks.agents.providers.offline import OfflineSupportModel
from tasks.agents.providers.offline import model as offline_model_module
from tasks.agents.providers.provider import offline_model
from tests.offline_harness import ticket_text


def call_kwargs() -> dict:
    return {
        "system_instructions": "Be helpful.",
        "model_settings": ModelSettings(),
        "tools": [],
        "output_schema": None,
        "handoffs": [],
        "tracing": ModelTracing.DISABLED,
        "previous_response_id": None,
        "conversation_id": None,
        "prompt": None,
    }


@pytest.mark.asyncio
async def test_first_turn_is_a_reasoning_summary_then_the_plan_and_lookups() -> None:
    model = OfflineSupportModel(delay=0)
    # when
    response = await model.get_response(input=ticket_text(), **call_kwargs())
    # then
    reasoning, *calls = response.output
    assert isinstance(reasoning, ResponseReasoningItem)
    assert "ticket #1001" in reasoning.summary[0].text
    assert all(isinstance(c, ResponseFunctionToolCall) for c in calls)
    assert [c.name for c in calls] == ["add_todos", "lookup_customer", "get_ticket_thread"]
    assert len({c.call_id for c in calls}) == 3
    assert response.usage.requests == 1 and response.usage.input_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


@pytest.mark.asyncio
async def test_stream_emits_responses_events_ending_with_completed_and_usage() -> None:
    model = OfflineSupportModel(delay=0)
    text = "What can you do? Write me a poem"
    # when
    events = [e async for e in model.stream_response(input=text, **call_kwargs())]
    plain = await model.get_response(input=text, **call_kwargs())
    # then the stream starts, streams and completes like the Responses API
    assert events[0].type == "response.created"
    assert events[1].type == "response.in_progress"
    completed = events[-1]
    assert isinstance(completed, ResponseCompletedEvent)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert completed.response.output == plain.output
    assert completed.response.usage is not None
    assert completed.response.usage.total_tokens == plain.usage.total_tokens
    assert completed.response.model == "agentdesk-offline"
    reasoning_text = "".join(
        e.delta for e in events if isinstance(e, ResponseReasoningSummaryTextDeltaEvent)
    )
    assert reasoning_text == plain.output[0].summary[0].text  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_a_final_message_streams_as_word_deltas() -> None:
    model = OfflineSupportModel(delay=0)
    # a free-text task whose search found nothing ends with the offline model's answer
    history = [
        {"role": "user", "content": "Write me a poem"},
        {
            "type": "function_call",
            "call_id": "c1",
            "name": "search_policies",
            "arguments": json.dumps({"query": "write poem"}),
        },
        {"type": "function_call_output", "call_id": "c1", "output": '{"policies": []}'},
    ]
    # when
    events = [e async for e in model.stream_response(input=history, **call_kwargs())]
    # then
    deltas = [e.delta for e in events if isinstance(e, ResponseTextDeltaEvent)]
    message = events[-1].response.output[-1]  # type: ignore[union-attr]
    assert isinstance(message, ResponseOutputMessage)
    assert len(deltas) > 10
    assert "".join(deltas) == message.content[0].text  # type: ignore[union-attr]
    assert "offline model" in message.content[0].text  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_each_turn_waits_the_configured_delay(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(offline_model_module.asyncio, "sleep", fake_sleep)
    settings.OFFLINE_MODEL_DELAY = 0.75
    # when a turn is taken with the configured delay, then with an explicit one
    await offline_model().get_response(input=ticket_text(), **call_kwargs())
    _ = [
        e
        async for e in OfflineSupportModel(delay=0.2).stream_response(
            input=ticket_text(), **call_kwargs()
        )
    ]
    settings.OFFLINE_MODEL_DELAY = 0
    await offline_model().get_response(input=ticket_text(), **call_kwargs())
    # then
    assert waits == [0.75, 0.2]


@function_tool
def add_todos(texts: list[str]) -> str:
    """Add to-dos.

    Args:
        texts: The to-do texts.
    """
    return json.dumps(
        {
            "todos": [
                {"id": i + 1, "position": i + 1, "text": t, "status": "pending"}
                for i, t in enumerate(texts)
            ]
        }
    )


@function_tool
def set_todo_status(todo_id: int, status: str) -> str:
    """Set a to-do's status.

    Args:
        todo_id: The to-do id.
        status: The new status.
    """
    return json.dumps({"todo": {"id": todo_id, "status": status}})


@function_tool
def search_policies(query: str) -> str:
    """Search the policies.

    Args:
        query: Words to search for.
    """
    return json.dumps(
        {
            "policies": [
                {
                    "slug": "refund-policy",
                    "title": "Refund policy",
                    "excerpt": "Refunds within 30 days.",
                    "rules": {"refund_window_days": 30},
                }
            ]
        }
    )


@function_tool
def read_document(slug: str) -> str:
    """Read an article.

    Args:
        slug: The article slug.
    """
    return json.dumps(
        {
            "article": {
                "slug": slug,
                "kind": "policy",
                "title": "Refund policy",
                "body": "Refunds can be made for orders charged at most 30 days ago.",
                "rules": {"refund_window_days": 30},
            }
        }
    )


@pytest.mark.asyncio
async def test_a_streamed_sdk_run_plans_searches_reads_and_answers() -> None:
    agent = Agent(
        name="offline test agent",
        instructions="Help staff.",
        tools=[add_todos, set_todo_status, search_policies, read_document],
        model=OfflineSupportModel(delay=0),
    )
    # when
    result = Runner.run_streamed(agent, "What is the refund window?")
    raw = [e.data async for e in result.stream_events() if e.type == "raw_response_event"]
    # then the run used its tools, ticked its plan and answered from the policy
    called = [i.raw_item.name for i in result.new_items if i.type == "tool_call_item"]  # type: ignore[union-attr]
    assert called[:3] == ["add_todos", "search_policies", "set_todo_status"]
    assert "read_document" in called
    assert "at most 30 days ago" in result.final_output
    deltas = "".join(e.delta for e in raw if isinstance(e, ResponseTextDeltaEvent))
    assert deltas == result.final_output
    reasoning = [i for i in result.new_items if i.type == "reasoning_item"]
    assert len(reasoning) == result.context_wrapper.usage.requests >= 4
    assert result.context_wrapper.usage.output_tokens > 0
