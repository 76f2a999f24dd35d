"""The Responses API streaming events for one offline turn: the same event sequence OpenAI
sends (item added, text and reasoning-summary deltas, item done, response.completed), so the
runtime maps offline and OpenAI streams the same way."""

from __future__ import annotations

from typing import Any

from agents.items import TResponseStreamEvent
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from openai.types.responses.response_reasoning_summary_part_added_event import Part as PartAdded
from openai.types.responses.response_reasoning_summary_part_done_event import Part as PartDone

from tasks.agents.providers.offline.turn import OfflineTurn


def word_chunks(text: str) -> list[str]:
    """Word-sized deltas that join back to exactly ``text``."""
    pieces: list[str] = []
    for index, word in enumerate(text.split(" ")):
        pieces.append(word if index == 0 else " " + word)
    return [p for p in pieces if p]


def stream_events(turn: OfflineTurn, model: str) -> list[TResponseStreamEvent]:
    """The Responses API event sequence for a decided turn."""
    events: list[Any] = []

    def add(factory: Any, **fields: Any) -> None:
        events.append(factory(sequence_number=len(events), **fields))

    add(
        ResponseCreatedEvent,
        type="response.created",
        response=turn.response(model, completed=False),
    )
    add(
        ResponseInProgressEvent,
        type="response.in_progress",
        response=turn.response(model, completed=False),
    )
    for index, item in enumerate(turn.output):
        if isinstance(item, ResponseReasoningItem):
            add(
                ResponseOutputItemAddedEvent,
                type="response.output_item.added",
                output_index=index,
                item=item.model_copy(update={"summary": []}),
            )
            for s_index, summary in enumerate(item.summary):
                common = {"item_id": item.id, "output_index": index, "summary_index": s_index}
                add(
                    ResponseReasoningSummaryPartAddedEvent,
                    type="response.reasoning_summary_part.added",
                    part=PartAdded(text="", type="summary_text"),
                    **common,
                )
                for piece in word_chunks(summary.text):
                    add(
                        ResponseReasoningSummaryTextDeltaEvent,
                        type="response.reasoning_summary_text.delta",
                        delta=piece,
                        **common,
                    )
                add(
                    ResponseReasoningSummaryTextDoneEvent,
                    type="response.reasoning_summary_text.done",
                    text=summary.text,
                    **common,
                )
                add(
                    ResponseReasoningSummaryPartDoneEvent,
                    type="response.reasoning_summary_part.done",
                    part=PartDone(text=summary.text, type="summary_text"),
                    **common,
                )
        elif isinstance(item, ResponseFunctionToolCall):
            add(
                ResponseOutputItemAddedEvent,
                type="response.output_item.added",
                output_index=index,
                item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
            )
            common = {"item_id": item.id or item.call_id, "output_index": index}
            add(
                ResponseFunctionCallArgumentsDeltaEvent,
                type="response.function_call_arguments.delta",
                delta=item.arguments,
                **common,
            )
            add(
                ResponseFunctionCallArgumentsDoneEvent,
                type="response.function_call_arguments.done",
                arguments=item.arguments,
                **common,
            )
        elif isinstance(item, ResponseOutputMessage):
            add(
                ResponseOutputItemAddedEvent,
                type="response.output_item.added",
                output_index=index,
                item=item.model_copy(update={"content": [], "status": "in_progress"}),
            )
            for c_index, part in enumerate(item.content):
                assert isinstance(part, ResponseOutputText)
                common = {"item_id": item.id, "output_index": index, "content_index": c_index}
                add(
                    ResponseContentPartAddedEvent,
                    type="response.content_part.added",
                    part=part.model_copy(update={"text": ""}),
                    **common,
                )
                for piece in word_chunks(part.text):
                    add(
                        ResponseTextDeltaEvent,
                        type="response.output_text.delta",
                        delta=piece,
                        logprobs=[],
                        **common,
                    )
                add(
                    ResponseTextDoneEvent,
                    type="response.output_text.done",
                    text=part.text,
                    logprobs=[],
                    **common,
                )
                add(
                    ResponseContentPartDoneEvent,
                    type="response.content_part.done",
                    part=part,
                    **common,
                )
        add(
            ResponseOutputItemDoneEvent,
            type="response.output_item.done",
            output_index=index,
            item=item,
        )
    add(ResponseCompletedEvent, type="response.completed", response=turn.response(model))
    return events
