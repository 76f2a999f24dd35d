"""OfflineSupportModel: the rule-based support agent behind the SDK's Model interface.

Each call decides one turn from the conversation (``engine.decide``, via ``turn``) and returns
it as Responses API output items: a reasoning item with a short summary, then function calls or
a final message. Streaming emits the events the OpenAI Responses API does, ending with
response.completed carrying the full response and its usage (``stream``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from agents import Model, ModelResponse, ModelSettings, ModelTracing, Tool
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import TResponseInputItem, TResponseStreamEvent
from openai.types.responses.response_prompt_param import ResponsePromptParam

from tasks.agents.providers.offline.engine import decide as decide_support
from tasks.agents.providers.offline.stream import stream_events
from tasks.agents.providers.offline.turn import Decide, build_turn

DEFAULT_NAME = "agentdesk-offline"


class OfflineSupportModel(Model):
    """A deterministic, rule-based support agent that needs no network and no API key.

    ``delay`` (seconds per turn) paces a run so a person can watch it live in the UI; the
    provider passes ``settings.OFFLINE_MODEL_DELAY``.
    """

    # How a turn is decided from the conversation (the copilot's offline model has its own).
    decide: Decide = staticmethod(decide_support)

    def __init__(self, *, delay: float = 0.0, name: str = DEFAULT_NAME) -> None:
        self.delay = max(0.0, float(delay))
        self.model = name

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
        turn = build_turn(
            input,
            tools,
            system_instructions=system_instructions,
            decide=type(self).decide,
            handoffs=handoffs,
        )
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
        turn = build_turn(
            input,
            tools,
            system_instructions=system_instructions,
            decide=type(self).decide,
            handoffs=handoffs,
        )
        for event in stream_events(turn, self.model):
            yield event
