"""Turns the SDK's stream events into task events.

* a tool call -> ``tool.called``; its result -> ``tool.returned`` (short summary + full output)
  or ``tool.failed`` (the result has an ``"error"``); to-do tools are left out (the to-do
  service records ``todo.added``/``todo.updated``, shown as the checklist);
* a reasoning item -> ``reasoning.completed`` (its summary text);
* an assistant message -> ``message.completed``; text and reasoning deltas go live only.

``handle`` returns True at a boundary (a turn ended with no tool call pending, or the last
pending tool call of the turn returned): the run loop flushes the batch there."""

from __future__ import annotations

import json
from collections.abc import Collection
from time import perf_counter
from typing import Any

from agents import ItemHelpers
from agents.items import (
    HandoffOutputItem,
    MessageOutputItem,
    ReasoningItem,
    ToolCallItem,
    ToolCallOutputItem,
)
from agents.stream_events import RawResponsesStreamEvent, RunItemStreamEvent, StreamEvent

from tasks.event_factories import (
    agent_handoff_event,
    message_completed_event,
    message_delta_event,
    reasoning_completed_event,
    reasoning_delta_event,
    tool_called_event,
    tool_failed_event,
    tool_returned_event,
)
from tasks.runtime.recorder import EventRecorder
from tools_app.agent_tools.base import strict_json_loads

MAX_OUTPUT_CHARS = 20_000
SUMMARY_CHARS = 160
_LABEL_KEYS = ("number", "slug", "name", "title", "id", "status")


def parse_json(text: str) -> Any:
    """Strict JSON (NaN and Infinity refused: a model's arguments are stored as sent then)."""
    try:
        return strict_json_loads(text)
    except (TypeError, ValueError):
        return None


def summarize_output(output: Any) -> str:
    """One line for the timeline: "customer Jane Doe, 10 recent_orders"."""
    if not isinstance(output, dict):
        return str(output)[:SUMMARY_CHARS]
    parts = []
    for key, value in output.items():
        if isinstance(value, list):
            parts.append(f"{len(value)} {key}")
        elif isinstance(value, dict):
            label = next((value[k] for k in _LABEL_KEYS if value.get(k) not in (None, "")), None)
            parts.append(f"{key} {label}" if label is not None else key)
        else:
            parts.append(f"{key}: {value}")
    text = ", ".join(parts)
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _field(raw: Any, name: str) -> Any:
    return raw.get(name) if isinstance(raw, dict) else getattr(raw, name, None)


class StreamMapper:
    def __init__(
        self,
        recorder: EventRecorder,
        *,
        hidden_tools: Collection[str] = (),
        main_agent: str = "",
    ) -> None:
        self.recorder = recorder
        self.hidden_tools = frozenset(hidden_tools)
        # Tool calls of another agent (a specialist the run handed off to) name that agent.
        self.main_agent = main_agent
        self._outstanding: dict[str, str] = {}
        self._called_at: dict[str, float] = {}

    def expect(self, call_id: str, name: str) -> None:
        """A call made before this run (paused for approval) whose result this run brings."""
        self._outstanding[call_id] = name

    @property
    def outstanding_calls(self) -> dict[str, str]:
        """call_id -> tool name of calls without a result (e.g. paused for approval)."""
        return dict(self._outstanding)

    async def handle(self, event: StreamEvent) -> bool:
        if isinstance(event, RawResponsesStreamEvent):
            return await self._raw(event.data)
        if isinstance(event, RunItemStreamEvent):
            return self._item(event.item)
        return False

    async def _raw(self, data: Any) -> bool:
        kind = getattr(data, "type", "")
        if kind == "response.output_text.delta":
            self.recorder.live(*message_delta_event(delta=data.delta))
        elif kind == "response.reasoning_summary_text.delta":
            self.recorder.live(*reasoning_delta_event(delta=data.delta))
        elif kind == "response.completed":
            output = getattr(data.response, "output", None) or []
            # A turn without tool calls ends here; one with calls ends at its last result.
            return not any(getattr(item, "type", "") == "function_call" for item in output)
        return False

    def _item(self, item: Any) -> bool:
        if isinstance(item, ToolCallItem):
            self._tool_called(item)
        elif isinstance(item, ToolCallOutputItem):
            return self._tool_output(item)
        elif isinstance(item, HandoffOutputItem):
            self.recorder.add(
                *agent_handoff_event(
                    from_agent=str(getattr(item.source_agent, "name", "")),
                    to_agent=str(getattr(item.target_agent, "name", "")),
                )
            )
        elif isinstance(item, ReasoningItem):
            summary = getattr(item.raw_item, "summary", None) or []
            text = "\n".join(getattr(part, "text", "") for part in summary).strip()
            if text:
                self.recorder.add(*reasoning_completed_event(text=text))
        elif isinstance(item, MessageOutputItem):
            text = ItemHelpers.text_message_output(item)
            if text:
                self.recorder.add(*message_completed_event(text=text))
        return False

    def _tool_called(self, item: ToolCallItem) -> None:
        raw = item.raw_item
        name = str(_field(raw, "name") or "")
        call_id = str(_field(raw, "call_id") or "")
        if not call_id:
            return
        self._outstanding[call_id] = name
        if name in self.hidden_tools:
            return
        self._called_at[call_id] = perf_counter()
        arguments = str(_field(raw, "arguments") or "")
        parsed = parse_json(arguments)
        agent = str(getattr(getattr(item, "agent", None), "name", "") or "")
        self.recorder.add(
            *tool_called_event(
                name=name,
                call_id=call_id,
                arguments=parsed if isinstance(parsed, dict) else arguments,
                agent=agent if agent and agent != self.main_agent else "",
            )
        )

    def _tool_output(self, item: ToolCallOutputItem) -> bool:
        call_id = str(_field(item.raw_item, "call_id") or "")
        name = self._outstanding.pop(call_id, "")
        called = self._called_at.pop(call_id, None)
        # How long the call took, for the timeline (unknown for a call paused before this run).
        took = round((perf_counter() - called) * 1000, 1) if called is not None else None
        if name not in self.hidden_tools:
            text = item.output if isinstance(item.output, str) else json.dumps(item.output)
            output = parse_json(text)
            full = output if output is not None else text[:MAX_OUTPUT_CHARS]
            if len(text) > MAX_OUTPUT_CHARS:
                full = text[:MAX_OUTPUT_CHARS]
            if isinstance(output, dict) and "error" in output:
                self.recorder.add(
                    *tool_failed_event(
                        name=name,
                        call_id=call_id,
                        error=str(output["error"]),
                        field=output.get("field"),
                        output=full,
                        duration_ms=took,
                    )
                )
            else:
                self.recorder.add(
                    *tool_returned_event(
                        name=name,
                        call_id=call_id,
                        summary=summarize_output(output if output is not None else text),
                        output=full,
                        duration_ms=took,
                    )
                )
        return not self._outstanding
