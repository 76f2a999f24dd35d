"""OfflineSupportModel: the rule-based support agent behind the SDK's Model interface.

Each call decides one turn from the conversation (offline_rules.decide, via offline_turn) and
returns it as Responses API output items: a reasoning item with a short summary, then function
calls or a final message. Streaming emits the events the OpenAI Responses API does, ending with
response.completed carrying the full response and its usage (offline_stream).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from agents import Model, ModelResponse, ModelSettings, ModelTracing, Tool
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import TResponseInputItem, TResponseStreamEvent
from django.conf import settings
from openai.types.responses.response_prompt_param import ResponsePromptParam

from tasks.agents.providers.offline_stream import stream_events
from tasks.agents.providers.offline_turn import build_turn


class OfflineSupportModel(Model):
    """A deterministic, rule-based support agent that needs no network and no API key.

    ``delay`` (seconds per turn; default ``settings.OFFLINE_MODEL_DELAY``) paces a run so a
    person can watch it live in the UI.
    """

    def __init__(self, *, delay: float | None = None, name: str | None = None) -> None:
        self._delay = delay
        self.model = name or settings.OFFLINE_MODEL_NAME

    @property
    def delay(self) -> float:
        return float(settings.OFFLINE_MODEL_DELAY if self._delay is None else self._delay)

    async def _pause(self) -> None:
        if self.delay > 0:
            await asyncio.sleep(self.delay)

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> ModelResponse:
        await self._pause()
        turn = build_turn(input, tools, system_instructions=system_instructions)
        return ModelResponse(output=turn.output, usage=turn.usage, response_id=turn.response_id)

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        await self._pause()
        turn = build_turn(input, tools, system_instructions=system_instructions)
        for event in stream_events(turn, self.model):
            yield event
