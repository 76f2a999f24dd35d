"""Reads the conversation the SDK hands the offline model into plain facts.

The offline model keeps no state between calls: every decision is derived again from the input
items (the task text, the tool calls made so far and their JSON results, a later follow-up),
so a resumed run, a retried run and a follow-up all behave the same way on the same data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# "Ticket #1007 (category: refund, priority: high, status: new)" — see AGENT_CONTRACT.md.
_TICKET_LINE = re.compile(r"^Ticket #(?P<number>\d+)\s*\((?P<attrs>[^)]*)\)\s*$")
_CUSTOMER_LINE = re.compile(
    r"^Customer:\s*(?P<name>.*?)\s*(?:<(?P<email>[^>]*)>)?\s*(?:\(customer id (?P<id>\d+)\))?\s*$"
)


@dataclass(frozen=True)
class TicketHeader:
    """The ticket facts the runtime renders at the top of the first user message."""

    number: int
    category: str
    priority: str
    status: str
    customer_name: str
    customer_email: str
    customer_id: int | None
    subject: str
    body: str

    @property
    def first_name(self) -> str:
        name = self.customer_name.strip()
        if not name or name.lower().startswith(("unknown", "none", "-")):
            return "there"
        return name.split()[0]


@dataclass(frozen=True)
class ToolExchange:
    """One function call the model made and, once the tool ran, its output."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    raw_output: str | None = None

    @property
    def answered(self) -> bool:
        return self.raw_output is not None

    @property
    def result(self) -> dict[str, Any]:
        """The JSON object the tool returned ({} when the output was not a JSON object)."""
        if self.raw_output is None:
            return {}
        try:
            parsed = json.loads(self.raw_output)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @property
    def error(self) -> str | None:
        value = self.result.get("error")
        return str(value) if value else None

    @property
    def ok(self) -> bool:
        return self.answered and bool(self.result) and self.error is None


@dataclass(frozen=True)
class Transcript:
    """What the offline model knows at one call.

    ``exchanges`` are the tool calls made for the current request (since the latest user
    message); ``earlier`` are those of previous runs of the same conversation.
    """

    task_text: str
    ticket: TicketHeader | None
    exchanges: tuple[ToolExchange, ...] = ()
    earlier: tuple[ToolExchange, ...] = ()
    followup: str | None = None
    previous_answer: str | None = None

    def calls(self, name: str) -> list[ToolExchange]:
        return [ex for ex in self.exchanges if ex.name == name]

    def latest(self, name: str) -> ToolExchange | None:
        found = self.calls(name)
        return found[-1] if found else None

    def has(self, *names: str) -> bool:
        return any(ex.name in names for ex in self.exchanges)


def parse_ticket_header(text: str) -> TicketHeader | None:
    """Parses the runtime's ticket rendering; None for a free-text task."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines:
        return None
    match = _TICKET_LINE.match(lines[0].strip())
    if match is None:
        return None
    attrs: dict[str, str] = {}
    for part in match.group("attrs").split(","):
        key, _, value = part.partition(":")
        attrs[key.strip().lower()] = value.strip()
    name, email, customer_id, subject = "", "", None, ""
    body_lines: list[str] = []
    in_body = False
    for line in lines[1:]:
        if in_body:
            body_lines.append(line)
        elif line.strip() == "----":
            in_body = True
        elif line.startswith("Customer:"):
            cm = _CUSTOMER_LINE.match(line.strip())
            if cm is not None:
                name, email = cm.group("name") or "", cm.group("email") or ""
                customer_id = int(cm.group("id")) if cm.group("id") else None
        elif line.startswith("Subject:"):
            subject = line.removeprefix("Subject:").strip()
    return TicketHeader(
        number=int(match.group("number")),
        category=attrs.get("category", "other") or "other",
        priority=attrs.get("priority", "normal"),
        status=attrs.get("status", "new"),
        customer_name=name,
        customer_email=email,
        customer_id=customer_id,
        subject=subject,
        body="\n".join(body_lines).strip(),
    )


def _as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        dumped = dump(exclude_unset=True)
        return dumped if isinstance(dumped, dict) else {}
    return {}


def _content_text(content: Any) -> str:
    """Text of a message's content: a string, or a list of input/output text parts."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    if isinstance(content, Iterable):
        for part in content:
            data = _as_dict(part)
            if data.get("type") in {"input_text", "output_text", "text"}:
                parts.append(str(data.get("text", "")))
    return "\n".join(parts)


def _output_text(output: Any) -> str:
    """A function_call_output's output: usually the tool's JSON string."""
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return _content_text(output)
    return json.dumps(output) if output is not None else ""


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def parse_transcript(input_items: str | list[Any]) -> Transcript:
    """Builds a Transcript from the model input (a string or SDK input items)."""
    if isinstance(input_items, str):
        return Transcript(task_text=input_items, ticket=parse_ticket_header(input_items))
    items = [_as_dict(item) for item in input_items]
    user_indexes = [
        i for i, item in enumerate(items) if item.get("role") == "user" and "content" in item
    ]
    task_text = _content_text(items[user_indexes[0]]["content"]) if user_indexes else ""
    last_user = user_indexes[-1] if user_indexes else -1
    followup: str | None = None
    previous_answer: str | None = None
    if len(user_indexes) > 1:
        followup = _content_text(items[last_user]["content"]).strip()
        for item in reversed(items[:last_user]):
            if item.get("role") == "assistant":
                previous_answer = _content_text(item.get("content")).strip() or None
                break

    outputs: dict[str, str] = {}
    for item in items:
        if item.get("type") == "function_call_output":
            outputs[str(item.get("call_id"))] = _output_text(item.get("output"))
    earlier: list[ToolExchange] = []
    current: list[ToolExchange] = []
    for index, item in enumerate(items):
        if item.get("type") != "function_call":
            continue
        call_id = str(item.get("call_id") or item.get("id") or "")
        exchange = ToolExchange(
            call_id=call_id,
            name=str(item.get("name", "")),
            arguments=_arguments(item.get("arguments")),
            raw_output=outputs.get(call_id),
        )
        (current if index > last_user else earlier).append(exchange)
    return Transcript(
        task_text=task_text,
        ticket=parse_ticket_header(task_text),
        exchanges=tuple(current),
        earlier=tuple(earlier),
        followup=followup,
        previous_answer=previous_answer,
    )
