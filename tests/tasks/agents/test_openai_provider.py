"""The OpenAI path, driven through the real ``openai`` client against a local HTTP stub of the
API (tests/openai_stub.py): provider selection, Responses streamed and not, Chat Completions,
bounded retries, and readable failure reasons."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import openai
import pytest
from agents import Agent, Model, ModelSettings, Runner, custom_span, function_tool, trace
from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel
from agents.models.openai_responses import OpenAIResponsesModel
from openai.types.responses import ResponseTextDeltaEvent
from pytest_django.fixtures import Settings as SettingsWrapper

from tasks.agents.providers import provider, tracing
from tasks.agents.providers.offline import OfflineSupportModel
from tasks.runtime.tracing import SpanSink, task_traces
from tests.openai_stub import (
    CHAT,
    RESPONSES,
    OpenAIStub,
    chat_reply,
    error_reply,
    function_call_reply,
    message_reply,
    serve_stub,
)


@function_tool
def get_order_status(order_number: str) -> str:
    """Look up an order's status.

    Args:
        order_number: The order number.
    """
    return f'{{"order": "{order_number}", "status": "shipped"}}'


def support_agent(model: Model) -> Agent[None]:
    return Agent(
        name="stub test agent", instructions="Help.", tools=[get_order_status], model=model
    )


@pytest.fixture
def stub(settings: SettingsWrapper) -> Iterator[OpenAIStub]:
    yield from serve_stub(settings, TASK_MODEL="gpt-5-mini")


def test_no_key_and_no_base_url_selects_the_offline_model(settings: SettingsWrapper) -> None:
    # given no provider configuration
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    # when
    model, name = provider.get_task_model()
    # then
    assert isinstance(model, OfflineSupportModel)
    assert name == settings.OFFLINE_MODEL_NAME == "agentdesk-offline"
    assert provider.task_model_settings() == ModelSettings()


def test_a_key_selects_the_responses_api_with_the_task_model(settings: SettingsWrapper) -> None:
    # given
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = ""
    settings.OPENAI_API = "responses"
    settings.TASK_MODEL = "gpt-5-mini"
    settings.MODEL_MAX_RETRIES = 4
    # when
    model, name = provider.get_task_model()
    # then
    assert isinstance(model, OpenAIResponsesModel)
    assert (model.model, name) == ("gpt-5-mini", "gpt-5-mini")
    assert model._client.max_retries == 4
    reasoning = provider.task_model_settings().reasoning
    assert reasoning is not None and reasoning.summary == "auto"


def test_chat_completions_is_selectable_and_asks_for_stream_usage(
    settings: SettingsWrapper,
) -> None:
    # given
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.OPENAI_API = "chat_completions"
    settings.CHAT_MODEL = "llama-3"
    # when
    model, name = provider.get_chat_model()
    # then
    assert isinstance(model, OpenAIChatCompletionsModel)
    assert name == "llama-3"
    assert provider.model_settings_for("llama-3").include_usage is True


def test_non_reasoning_models_get_no_reasoning_settings(settings: SettingsWrapper) -> None:
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_API = "responses"
    assert provider.model_settings_for("gpt-4.1-mini").reasoning is None


def test_without_a_key_runs_are_still_traced_for_the_database() -> None:
    # the test settings have no key: the models package installed the task-trace processor
    # (export to OpenAI is decided by the key, below), so a watched trace gets its spans
    sink = SpanSink(task_id=1, run_number=1)
    task_traces.watch(sink)
    try:
        with trace("check", trace_id=sink.trace_id), custom_span("probe"):
            pass
    finally:
        task_traces.unwatch(sink)
    assert [(r["kind"], r["name"]) for r in sink.take()] == [("other", "probe")]


def test_traces_go_to_openai_only_with_a_key_for_openai_itself(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(tracing, "set_tracing_export_api_key", calls.append)
    monkeypatch.setattr(
        tracing, "tracing_install", lambda *, export_to_openai: calls.append(export_to_openai)
    )
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:8080/v1"
    tracing.configure_tracing()
    settings.OPENAI_BASE_URL = ""
    tracing.configure_tracing()
    assert calls == [False, "sk-test", True]


@pytest.mark.asyncio
async def test_responses_non_streamed_function_call_then_final_message(stub: OpenAIStub) -> None:
    # given a tool call turn and a final answer
    stub.script(
        RESPONSES,
        function_call_reply("get_order_status", {"order_number": "ORD-1"}),
        message_reply("ORD-1 has shipped."),
    )
    model, _ = provider.get_task_model()
    # when
    result = await Runner.run(support_agent(model), "Where is ORD-1?")
    # then the tool ran and its output went back to the model
    assert result.final_output == "ORD-1 has shipped."
    assert stub.count(RESPONSES) == 2
    second = stub.requests[1].body
    outputs = [i for i in second["input"] if i.get("type") == "function_call_output"]
    assert outputs and "shipped" in outputs[0]["output"]
    assert second["model"] == "gpt-5-mini"
    assert result.context_wrapper.usage.total_tokens == 38


@pytest.mark.asyncio
async def test_responses_streamed_function_call_then_final_message(stub: OpenAIStub) -> None:
    # given
    stub.script(
        RESPONSES,
        function_call_reply("get_order_status", {"order_number": "ORD-2"}),
        message_reply("ORD-2 has shipped.", reasoning="The tool says shipped."),
    )
    model, _ = provider.get_task_model()
    # when
    result = Runner.run_streamed(support_agent(model), "Where is ORD-2?")
    deltas = [
        event.data.delta
        async for event in result.stream_events()
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent)
    ]
    # then the text arrived in deltas over SSE and the run finished
    assert "".join(deltas) == "ORD-2 has shipped."
    assert result.final_output == "ORD-2 has shipped."
    assert all(r.body.get("stream") for r in stub.requests)
    reasoning = [i for i in result.new_items if i.type == "reasoning_item"]
    assert reasoning and reasoning[0].raw_item.summary[0].text == "The tool says shipped."


@pytest.mark.asyncio
async def test_a_429_is_retried_and_the_run_succeeds(stub: OpenAIStub) -> None:
    # given one rate limit before the answer
    stub.script(RESPONSES, error_reply(429, "Slow down"), message_reply("Done."))
    model, _ = provider.get_task_model()
    # when
    result = await Runner.run(support_agent(model), "Hello")
    # then the client retried once, with the retry counted in its header
    assert result.final_output == "Done."
    assert stub.count(RESPONSES) == 2
    assert stub.requests[1].headers.get("x-stainless-retry-count") == "1"


@pytest.mark.asyncio
async def test_a_permanent_500_fails_after_bounded_attempts_with_a_readable_reason(
    stub: OpenAIStub,
) -> None:
    # given a provider that always fails
    stub.always(RESPONSES, error_reply(500, "The server had an error."))
    model, _ = provider.get_task_model()
    # when
    with pytest.raises(openai.InternalServerError) as caught:
        await Runner.run(support_agent(model), "Hello")
    # then 1 request + MODEL_MAX_RETRIES retries, no more
    assert stub.count(RESPONSES) == 3
    assert provider.describe_model_error(caught.value) == (
        "The model provider returned 500 Internal Server Error after 3 attempts:"
        " The server had an error."
    )


@pytest.mark.asyncio
async def test_a_streamed_run_against_a_failing_provider_also_stops(stub: OpenAIStub) -> None:
    stub.always(RESPONSES, error_reply(503, "Overloaded"))
    model, _ = provider.get_task_model()
    result = Runner.run_streamed(support_agent(model), "Hello")
    with pytest.raises(openai.APIStatusError) as caught:
        async for _ in result.stream_events():
            pass
    assert stub.count(RESPONSES) == 3
    assert "503 Service Unavailable after 3 attempts" in provider.describe_model_error(caught.value)


@pytest.mark.asyncio
async def test_chat_completions_path_calls_a_tool_and_answers(
    stub: OpenAIStub, settings: SettingsWrapper
) -> None:
    # given a Chat Completions server, answering a streamed and then a plain run
    settings.OPENAI_API = "chat_completions"
    for _ in range(2):
        stub.script(
            CHAT,
            chat_reply(tool_call=("get_order_status", {"order_number": "ORD-3"})),
            chat_reply("ORD-3 has shipped."),
        )
    model, _ = provider.get_task_model()
    # when
    streamed = Runner.run_streamed(support_agent(model), "Where is ORD-3?")
    async for _ in streamed.stream_events():
        pass
    result = await Runner.run(support_agent(model), "Where is ORD-3?")
    # then both runs called the tool and answered
    assert streamed.final_output == result.final_output == "ORD-3 has shipped."
    assert stub.count(CHAT) == 4
    assert stub.requests[0].body["messages"][-1]["content"] == "Where is ORD-3?"
    tool_results = [m for m in stub.requests[1].body["messages"] if m["role"] == "tool"]
    assert tool_results and "shipped" in tool_results[0]["content"]


def test_describe_model_error_reads_connection_and_timeout_failures() -> None:
    request = httpx2.Request(
        "POST", "http://10.0.0.9:8000/v1/responses", headers={"x-stainless-retry-count": "3"}
    )
    assert provider.describe_model_error(openai.APIConnectionError(request=request)) == (
        "Could not connect to the model provider at 10.0.0.9 after 4 attempts."
    )
    assert provider.describe_model_error(openai.APITimeoutError(request=request)).startswith(
        "The model provider did not answer within"
    )
    wrapped = RuntimeError("run failed")
    wrapped.__cause__ = openai.APITimeoutError(request=request)
    assert "after 4 attempts" in provider.describe_model_error(wrapped)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_task_runs_through_the_worker_against_the_responses_api(stub: OpenAIStub) -> None:
    # given a free-text task and a provider that answers with a tool call, then a reply
    from asgiref.sync import sync_to_async

    from tasks.models import Task
    from tasks.runtime.worker import TaskWorker
    from tasks.services.task_start import task_start_free_text

    stub.script(
        RESPONSES,
        function_call_reply("add_todos", {"texts": ["Read the backlog"]}),
        message_reply("Done: the backlog is read."),
    )
    task = await sync_to_async(task_start_free_text)(text="Summarise the backlog", user=None)

    # when the worker runs it with the configured (OpenAI) model
    worker = TaskWorker()
    worker.wake(task.pk)
    await worker.join()

    # then it completes: the tool's result went back to the model, the reply is the output
    task = await Task.objects.aget(pk=task.pk)
    assert (task.status, task.model) == (Task.Status.COMPLETED, "gpt-5-mini")
    assert task.final_output == "Done: the backlog is read."
    second = stub.requests[1].body
    assert [i.get("type") for i in second["input"]][-2:] == [
        "function_call",
        "function_call_output",
    ]
    assert all(request.body.get("stream") for request in stub.requests)


def test_the_workers_pacing_wrapper_answers_the_sdks_capability_questions() -> None:
    # The SDK adds a default prompt cache key for models on OpenAI's own endpoint, asking the
    # model by attribute name: the worker's wrapper must answer as the model would.
    from agents.run_internal.prompt_cache_key import _model_supports_default_prompt_cache_key

    from tasks.runtime.pacing import PacedModel, TurnGate

    client = openai.AsyncOpenAI(api_key="sk-test")  # api.openai.com; never called here
    official = OpenAIResponsesModel(model="gpt-5-mini", openai_client=client)
    assert _model_supports_default_prompt_cache_key(official)

    paced = PacedModel(official, TurnGate(1))

    assert _model_supports_default_prompt_cache_key(paced)
    assert paced.model == "gpt-5-mini"
