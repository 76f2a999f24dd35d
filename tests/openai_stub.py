"""A local stub of the OpenAI HTTP API for tests: the real ``openai`` client talks to it over
HTTP on 127.0.0.1, so retries, SSE parsing and error mapping are the client's own.

Serves ``POST /v1/responses`` (JSON, or server-sent events when the request has
``"stream": true``) and ``POST /v1/chat/completions`` (JSON or chunk stream). Replies are
scripted per endpoint and consumed in order; every request is recorded.

    with OpenAIStub() as stub:
        stub.script("responses", function_call_reply("get_weather", {"city": "Oslo"}),
                    message_reply("It is sunny."))
        settings.OPENAI_BASE_URL = stub.base_url
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RESPONSES = "responses"
CHAT = "chat"
PATHS = {"/v1/responses": RESPONSES, "/v1/chat/completions": CHAT}
# Tells the openai client to retry after 1 ms instead of its exponential backoff.
FAST_RETRY = {"retry-after-ms": "1"}


@dataclass
class StubReply:
    """One scripted answer. ``status`` other than 200 answers with an OpenAI error body."""

    status: int = 200
    output: list[dict[str, Any]] = field(default_factory=list)
    chat_message: dict[str, Any] | None = None
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StubRequest:
    endpoint: str
    body: dict[str, Any]
    headers: dict[str, str]


def message_reply(text: str, *, reasoning: str = "") -> StubReply:
    """A final assistant message (Responses API), optionally after a reasoning summary."""
    output: list[dict[str, Any]] = []
    if reasoning:
        output.append(
            {
                "type": "reasoning",
                "id": "rs_stub",
                "summary": [{"type": "summary_text", "text": reasoning}],
            }
        )
    output.append(
        {
            "type": "message",
            "id": "msg_stub",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    )
    return StubReply(output=output)


def function_call_reply(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> StubReply:
    """A turn that calls one function tool (Responses API)."""
    return StubReply(
        output=[
            {
                "type": "function_call",
                "id": f"fc_{call_id}",
                "call_id": call_id,
                "name": name,
                "arguments": json.dumps(arguments),
                "status": "completed",
            }
        ]
    )


def chat_reply(text: str = "", tool_call: tuple[str, dict[str, Any]] | None = None) -> StubReply:
    """A Chat Completions answer: text, or one tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if tool_call is not None:
        name, arguments = tool_call
        message["tool_calls"] = [
            {
                "id": "call_chat_1",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ]
    return StubReply(chat_message=message)


def error_reply(status: int, message: str = "stub error", *, fast: bool = True) -> StubReply:
    return StubReply(status=status, error=message, headers=dict(FAST_RETRY) if fast else {})


def _usage() -> dict[str, Any]:
    return {
        "input_tokens": 12,
        "output_tokens": 7,
        "total_tokens": 19,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }


def _response(number: int, model: str, output: list[dict[str, Any]], status: str) -> dict[str, Any]:
    return {
        "id": f"resp_stub_{number}",
        "object": "response",
        "created_at": 0,
        "model": model,
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "usage": _usage() if status == "completed" else None,
    }


def _words(text: str) -> list[str]:
    return [word if i == 0 else " " + word for i, word in enumerate(text.split(" "))]


def responses_events(number: int, model: str, output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Responses API streaming events for a completed response with ``output``."""
    events: list[dict[str, Any]] = []

    def add(kind: str, **data: Any) -> None:
        events.append({"type": kind, "sequence_number": len(events), **data})

    add("response.created", response=_response(number, model, [], "in_progress"))
    add("response.in_progress", response=_response(number, model, [], "in_progress"))
    for index, item in enumerate(output):
        at = {"output_index": index}
        if item["type"] == "message":
            add(
                "response.output_item.added",
                item={**item, "content": [], "status": "in_progress"},
                **at,
            )
            text = item["content"][0]["text"]
            ids = {"item_id": item["id"], "content_index": 0, **at}
            add(
                "response.content_part.added",
                part={"type": "output_text", "text": "", "annotations": []},
                **ids,
            )
            for piece in _words(text):
                add("response.output_text.delta", delta=piece, logprobs=[], **ids)
            add("response.output_text.done", text=text, logprobs=[], **ids)
            add("response.content_part.done", part=item["content"][0], **ids)
        elif item["type"] == "function_call":
            add(
                "response.output_item.added",
                item={**item, "arguments": "", "status": "in_progress"},
                **at,
            )
            ids = {"item_id": item["id"], **at}
            add("response.function_call_arguments.delta", delta=item["arguments"], **ids)
            add("response.function_call_arguments.done", arguments=item["arguments"], **ids)
        elif item["type"] == "reasoning":
            add("response.output_item.added", item={**item, "summary": []}, **at)
            text = item["summary"][0]["text"]
            ids = {"item_id": item["id"], "summary_index": 0, **at}
            add(
                "response.reasoning_summary_part.added",
                part={"type": "summary_text", "text": ""},
                **ids,
            )
            add("response.reasoning_summary_text.delta", delta=text, **ids)
            add("response.reasoning_summary_text.done", text=text, **ids)
            add(
                "response.reasoning_summary_part.done",
                part={"type": "summary_text", "text": text},
                **ids,
            )
        add("response.output_item.done", item=item, **at)
    add("response.completed", response=_response(number, model, output, "completed"))
    return events


def _chat_completion(number: int, model: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl_stub_{number}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
    }


def chat_chunks(number: int, model: str, message: dict[str, Any]) -> list[dict[str, Any]]:
    base = {
        "id": f"chatcmpl_stub_{number}",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
    }
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    for piece in _words(message.get("content") or ""):
        if piece:
            chunks.append({**base, "choices": [{"index": 0, "delta": {"content": piece}}]})
    for index, call in enumerate(message.get("tool_calls") or []):
        chunks.append(
            {**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": index, **call}]}}]}
        )
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    chunks.append(
        {
            **base,
            "choices": [],
            "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
        }
    )
    return chunks


class OpenAIStub:
    """The stub server, on a free port in a background thread."""

    def __init__(self) -> None:
        self.requests: list[StubRequest] = []
        self._scripts: dict[str, deque[StubReply]] = {RESPONSES: deque(), CHAT: deque()}
        self._fallback: dict[str, StubReply] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, endpoint: str, *replies: StubReply) -> None:
        with self._lock:
            self._scripts[endpoint].extend(replies)

    def always(self, endpoint: str, reply: StubReply) -> None:
        """Answer every request to ``endpoint`` with ``reply`` once the script is used up."""
        self._fallback[endpoint] = reply

    def count(self, endpoint: str) -> int:
        return sum(1 for r in self.requests if r.endpoint == endpoint)

    def _next(self, endpoint: str) -> StubReply:
        with self._lock:
            if self._scripts[endpoint]:
                return self._scripts[endpoint].popleft()
        return self._fallback.get(endpoint) or error_reply(500, "The stub has no reply scripted.")

    def __enter__(self) -> OpenAIStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                endpoint = PATHS.get(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if endpoint is None:
                    self._json(404, {"error": {"message": f"Unknown path {self.path}"}})
                    return
                with stub._lock:
                    stub.requests.append(StubRequest(endpoint, body, dict(self.headers)))
                    number = len(stub.requests)
                reply = stub._next(endpoint)
                model = str(body.get("model", "stub-model"))
                if reply.status != 200:
                    error = {"message": reply.error, "type": "server_error", "code": None}
                    self._json(reply.status, {"error": error}, reply.headers)
                elif endpoint == RESPONSES and body.get("stream"):
                    self._sse(responses_events(number, model, reply.output), named=True)
                elif endpoint == RESPONSES:
                    self._json(200, _response(number, model, reply.output, "completed"))
                elif body.get("stream"):
                    self._sse(chat_chunks(number, model, reply.chat_message or {}), named=False)
                else:
                    self._json(200, _chat_completion(number, model, reply.chat_message or {}))

            def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("x-request-id", f"req_stub_{len(stub.requests)}")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def _sse(self, events: list[dict[str, Any]], *, named: bool) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.end_headers()
                for event in events:
                    prefix = f"event: {event['type']}\n" if named else ""
                    self.wfile.write(f"{prefix}data: {json.dumps(event)}\n\n".encode())
                if not named:
                    self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


def serve_stub(settings: Any, **overrides: Any) -> Iterator[OpenAIStub]:
    """The stub running, with the settings pointing the provider at it (no key, the
    Responses API, bounded retries and timeouts) plus ``overrides``; for a fixture to
    ``yield from``."""
    with OpenAIStub() as server:
        settings.OPENAI_API_KEY = ""
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API = "responses"
        settings.MODEL_MAX_RETRIES = 2
        settings.MODEL_TIMEOUT_SECONDS = 10.0
        for name, value in overrides.items():
            setattr(settings, name, value)
        yield server
