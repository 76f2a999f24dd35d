"""One offline model turn: the decision for the conversation so far, rendered as Responses
API output items (a reasoning item, then function calls or a final message) with its usage."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agents import Tool, Usage
from agents.items import TResponseInputItem, TResponseOutputItem
from openai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponseUsage,
)
from openai.types.responses.response_reasoning_item import Summary
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from tasks.agents.providers.offline.engine import decide as decide_support
from tasks.agents.providers.offline.types import Decision

# Roughly four characters per token, as OpenAI's rule of thumb; deterministic on purpose.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class OfflineTurn:
    """One decided turn, as output items, with its usage."""

    response_id: str
    output: list[TResponseOutputItem]
    usage: Usage

    def response(self, model: str, *, completed: bool = True) -> Response:
        return Response(
            id=self.response_id,
            created_at=0,
            model=model,
            object="response",
            output=list(self.output) if completed else [],
            tool_choice="auto",
            tools=[],
            top_p=None,
            parallel_tool_calls=True,
            status="completed" if completed else "in_progress",
            usage=_response_usage(self.usage) if completed else None,
        )


def _response_usage(usage: Usage) -> ResponseUsage:
    return ResponseUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        input_tokens_details=InputTokensDetails(cache_write_tokens=0, cached_tokens=0),
        output_tokens_details=OutputTokensDetails(
            reasoning_tokens=usage.output_tokens_details.reasoning_tokens
        ),
    )


def _tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return max(1, len(text) // CHARS_PER_TOKEN)


Decide = Callable[[str | list[object], set[str] | None], Decision]


def build_turn(
    input: str | list[TResponseInputItem],
    tools: list[Tool],
    *,
    system_instructions: str | None = None,
    decide: Decide = decide_support,
    handoffs: Sequence[Any] = (),
) -> OfflineTurn:
    """Decides the next turn (``decide``: the support agent's engine unless another is given,
    such as the copilot's) and renders it as output items. Ids derive from the input's length,
    so they are unique within a conversation and identical on a replay."""
    names = {str(getattr(tool, "name", "")) for tool in tools} if tools else None
    if handoffs:
        # A handoff is offered to the model as a tool: its name is one the model may call.
        names = (names or set()) | {str(getattr(h, "tool_name", "")) for h in handoffs}
    decision: Decision = decide(input if isinstance(input, str) else list(input), names)
    turn = len(input) if isinstance(input, list) else 1
    output: list[TResponseOutputItem] = [
        ResponseReasoningItem(
            id=f"rs_offline_{turn}",
            type="reasoning",
            summary=[Summary(text=decision.reasoning, type="summary_text")],
        )
    ]
    for index, call in enumerate(decision.calls):
        output.append(
            ResponseFunctionToolCall(
                id=f"fc_offline_{turn}_{index}",
                call_id=f"call_offline_{turn}_{index}",
                type="function_call",
                name=call.name,
                arguments=json.dumps(call.arguments, ensure_ascii=False),
                status="completed",
            )
        )
    if decision.message is not None or not decision.calls:
        output.append(
            ResponseOutputMessage(
                id=f"msg_offline_{turn}",
                type="message",
                role="assistant",
                status="completed",
                content=[
                    ResponseOutputText(
                        type="output_text",
                        text=decision.message or "",
                        annotations=[],
                        logprobs=[],
                    )
                ],
            )
        )
    input_tokens = _tokens(input) + (_tokens(system_instructions) if system_instructions else 0)
    reasoning_tokens = _tokens(decision.reasoning)
    output_tokens = _tokens([item.model_dump() for item in output[1:]]) + reasoning_tokens
    usage = Usage(
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        output_tokens_details=OutputTokensDetails(reasoning_tokens=reasoning_tokens),
    )
    return OfflineTurn(response_id=f"resp_offline_{turn}", output=output, usage=usage)
