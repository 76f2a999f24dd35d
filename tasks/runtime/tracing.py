"""Traces of task runs, through the Agents SDK's tracing-processor interface.

The SDK reports the spans of every run it traces: the run itself, its turns, the agent, each
tool call (arguments, result or error), guardrails and handoffs. ``TracedModel`` adds a span
per model call (model, latency, time to first token, tokens in / out / cached, cost), and a
resumed run adds a span per approval it waited for. Spans are kept as plain records:

* ``TaskTraceProcessor`` hands the spans of a watched trace to that run's ``SpanSink``; the run
  writes them with its next batch of events (``EventWrite.spans``), so tracing adds no write
  of its own. Spans of traces nobody watches (the copilot's) are ignored.
* ``OtlpProcessor`` (with ``OTEL_EXPORTER_OTLP_ENDPOINT``) sends the same spans to any
  OpenTelemetry collector over OTLP/HTTP through opentelemetry-sdk's batch exporter, off the
  event loop.

``tracing_install`` registers the processors once (tasks.agents.providers.tracing)."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from agents import Model, ModelResponse, custom_span, gen_trace_id
from agents.items import TResponseStreamEvent
from agents.tracing import Span, Trace, TracingProcessor
from django.conf import settings

from tasks.agents.tools import SUPPORT_TOOLS
from tasks.compat import ModelWrapper
from tasks.runtime.metrics import MetricsProcessor
from tasks.runtime.span_times import parse_time, span_times
from tasks.services.usage import usage_cost

logger = logging.getLogger(__name__)

MODEL_CALL = "model call"
APPROVAL_WAIT = "approval wait"
MAX_TEXT = 4000
COMPLETED = "response.completed"

# SDK span types -> stored kinds (custom spans by name: ours and the SDK's task and turn).
_KINDS = {
    "agent": "agent",
    "function": "tool",
    "generation": "generation",
    "response": "response",
    "guardrail": "guardrail",
    "handoff": "handoff",
    "task": "run",
    "turn": "turn",
    MODEL_CALL: "model",
    APPROVAL_WAIT: "approval",
}


def _plain(value: Any, depth: int = 0) -> Any:
    """JSON-safe and bounded: long strings cut, finite numbers only, unknown types as text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
    if depth > 4:
        return _plain(str(value), depth)
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in value[:50]]
    return _plain(str(value), depth)


def span_kind_and_name(span: Span[Any]) -> tuple[str, str, dict[str, Any]]:
    """What the waterfall calls a span, and its data without the type fields."""
    exported = span.span_data.export()
    sdk_type = str(exported.pop("type", "") or "")
    if sdk_type == "custom":
        name = str(exported.get("name") or "custom")
        data = exported.get("data") or {}
        kind = _KINDS.get(name, "other")
        if kind == "turn":
            return kind, f"turn {data.get('turn', '')}".strip(), data
        if kind == "run":
            return kind, str(data.get("name") or "run"), data
        if kind == "model":
            return kind, str(data.get("model") or "model"), data
        if kind == "approval":
            return kind, str(data.get("tool") or "approval"), data
        return kind, name, data
    kind = _KINDS.get(sdk_type, "other")
    if sdk_type == "handoff":
        name = f"{exported.get('from_agent') or '?'} → {exported.get('to_agent') or '?'}"
    elif sdk_type == "response":
        name = str(exported.get("response_id") or "response")
    elif sdk_type == "generation":
        name = str(exported.get("model") or "generation")
    else:
        name = str(exported.pop("name", "") or sdk_type)
    return kind, name, exported


def span_record(span: Span[Any]) -> dict[str, Any]:
    """One ended span as the fields of a ``TaskSpan`` row."""
    kind, name, data = span_kind_and_name(span)
    started, ended = span_times(span, data)
    error = span.error
    return {
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "parent_id": span.parent_id or "",
        "kind": kind,
        "name": name[:200],
        "started_at": started,
        "ended_at": ended,
        "duration_ms": round((ended - started).total_seconds() * 1000, 3),
        "data": _plain(data),
        "error": _plain(dict(error)) if error else None,
    }


class SpanSink:
    """The ended spans of one task run, waiting for the run's next write."""

    __slots__ = ("records", "run_number", "task_id", "trace_id")

    def __init__(self, *, task_id: int, run_number: int) -> None:
        self.task_id = task_id
        self.run_number = run_number
        self.trace_id = gen_trace_id()
        self.records: list[dict[str, Any]] = []

    def take(self) -> list[dict[str, Any]]:
        records, self.records = self.records, []
        for record in records:
            record["run_number"] = self.run_number
        return records


class TaskTraceProcessor(TracingProcessor):
    """Hands each ended span of a watched trace to its run's sink (on the run's event loop:
    the SDK calls processors where the span ends)."""

    def __init__(self) -> None:
        self._sinks: dict[str, SpanSink] = {}

    def watch(self, sink: SpanSink) -> None:
        self._sinks[sink.trace_id] = sink

    def unwatch(self, sink: SpanSink) -> None:
        self._sinks.pop(sink.trace_id, None)

    def on_trace_start(self, trace: Trace) -> None:
        pass

    def on_trace_end(self, trace: Trace) -> None:
        pass

    def on_span_start(self, span: Span[Any]) -> None:
        pass

    def on_span_end(self, span: Span[Any]) -> None:
        sink = self._sinks.get(span.trace_id)
        if sink is None:
            return
        try:
            sink.records.append(span_record(span))
        except Exception:
            logger.warning("Span of task %s not recorded", sink.task_id, exc_info=True)

    def shutdown(self) -> None:
        self._sinks.clear()

    def force_flush(self) -> None:
        pass


task_traces = TaskTraceProcessor()


def traces_enabled() -> bool:
    return bool(settings.TRACES_ENABLED or settings.OTEL_EXPORTER_OTLP_ENDPOINT)


def _usage_numbers(usage: Any) -> tuple[int, int, int]:
    if usage is None:
        return 0, 0, 0
    details = getattr(usage, "input_tokens_details", None)
    cached = getattr(details, "cached_tokens", 0) or 0
    return (
        int(getattr(usage, "input_tokens", 0) or 0),
        int(getattr(usage, "output_tokens", 0) or 0),
        int(cached),
    )


class TracedModel(ModelWrapper):
    """``inner`` with a span per model call: latency, time to first token, tokens, cost."""

    def __init__(self, inner: Model, model_name: str) -> None:
        self.inner = inner
        self.model_name = model_name

    def _finish(
        self, span: Span[Any], started: float, first: float | None, usage: Any, error: Any
    ) -> None:
        ended = perf_counter()
        tokens_in, tokens_out, cached = _usage_numbers(usage)
        data = span.span_data.data if hasattr(span.span_data, "data") else None
        if isinstance(data, dict):
            data.update(
                latency_ms=round((ended - started) * 1000, 3),
                ttft_ms=round((first - started) * 1000, 3) if first is not None else None,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cached_tokens=cached,
                cost=str(
                    usage_cost(
                        model_name=self.model_name,
                        input_tokens=tokens_in,
                        output_tokens=tokens_out,
                    )
                ),
            )
        if error is not None:
            span.set_error({"message": str(error)[:500] or type(error).__name__, "data": None})
        span.finish()

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        span = custom_span(MODEL_CALL, {"model": self.model_name})
        span.start()
        started = perf_counter()
        try:
            response = await self.inner.get_response(*args, **kwargs)
        except Exception as exc:
            self._finish(span, started, None, None, exc)
            raise
        self._finish(span, started, None, response.usage, None)
        return response

    async def stream_response(
        self, *args: Any, **kwargs: Any
    ) -> AsyncIterator[TResponseStreamEvent]:
        span = custom_span(MODEL_CALL, {"model": self.model_name})
        span.start()
        started = perf_counter()
        first: float | None = None
        usage: Any = None
        error: BaseException | None = None
        try:
            async for event in self.inner.stream_response(*args, **kwargs):
                if first is None and getattr(event, "type", "").endswith(".delta"):
                    first = perf_counter()
                elif getattr(event, "type", None) == COMPLETED:
                    usage = getattr(getattr(event, "response", None), "usage", None)
                yield event
        except Exception as exc:
            error = exc
            raise
        finally:
            self._finish(span, started, first, usage, error)


def approval_wait_span(
    *, tool: str, decision: str, requested_at: datetime, decided_at: datetime | None
) -> None:
    """Records, in the current trace, the time a paused call waited for a person."""
    ended = decided_at or datetime.now(UTC)
    with custom_span(
        APPROVAL_WAIT,
        {
            "tool": tool,
            "decision": decision,
            "started_at": requested_at.isoformat(),
            "ended_at": ended.isoformat(),
        },
    ):
        pass


class OtlpProcessor(TracingProcessor):
    """The same spans to an OpenTelemetry collector (OTLP over HTTP, batched off the event
    loop by opentelemetry-sdk). Each SDK trace becomes one OpenTelemetry trace whose root span
    is the run; parents are kept."""

    def __init__(self, endpoint: str, service_name: str) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        self.provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        self.provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=_traces_url(endpoint)))
        )
        self.tracer = self.provider.get_tracer("agentdesk")
        self._open: dict[str, Any] = {}  # SDK trace or span id -> OpenTelemetry span

    def _context(self, parent_id: str | None) -> Any:
        from opentelemetry import trace as otel_trace

        parent = self._open.get(parent_id or "")
        return otel_trace.set_span_in_context(parent) if parent is not None else None

    def on_trace_start(self, trace: Trace) -> None:
        root = self.tracer.start_span(trace.name, context=None, start_time=_ns(None))
        root.set_attribute("agentdesk.trace_id", trace.trace_id)
        group = (trace.export() or {}).get("group_id")
        if group:
            root.set_attribute("agentdesk.group_id", str(group))
        self._open[trace.trace_id] = root

    def on_trace_end(self, trace: Trace) -> None:
        root = self._open.pop(trace.trace_id, None)
        if root is not None:
            root.end()

    def on_span_start(self, span: Span[Any]) -> None:
        parent = span.parent_id or span.trace_id
        data = getattr(span.span_data, "data", None)
        started = parse_time(data.get("started_at")) if isinstance(data, dict) else None
        self._open[span.span_id] = self.tracer.start_span(
            "span", context=self._context(parent), start_time=_ns(started or span.started_at)
        )

    def on_span_end(self, span: Span[Any]) -> None:
        otel_span = self._open.pop(span.span_id, None)
        if otel_span is None:
            return
        record = span_record(span)
        otel_span.update_name(f"{record['kind']} {record['name']}")
        otel_span.set_attribute("agentdesk.kind", record["kind"])
        for key, value in _flat(record["data"]).items():
            otel_span.set_attribute(f"agentdesk.{key}", value)
        if record["error"]:
            from opentelemetry.trace import Status, StatusCode

            otel_span.set_status(Status(StatusCode.ERROR, str(record["error"].get("message"))))
        otel_span.end(end_time=_ns(record["ended_at"]))

    def shutdown(self) -> None:
        self.provider.shutdown()

    def force_flush(self) -> None:
        self.provider.force_flush()


def _traces_url(endpoint: str) -> str:
    """``OTEL_EXPORTER_OTLP_ENDPOINT`` is the collector's base URL (as OpenTelemetry defines it):
    traces go to its ``/v1/traces``."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else f"{base}/v1/traces"


def _ns(when: Any) -> int:
    moment = parse_time(when) or datetime.now(UTC)
    return int(moment.timestamp() * 1_000_000_000)


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    """Span data as OpenTelemetry attributes: scalars by dotted key, the rest as text."""
    flat: dict[str, Any] = {}
    if not isinstance(data, dict):
        return flat
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
        elif isinstance(value, bool | int | float | str):
            flat[name] = value
        elif value is not None:
            flat[name] = str(value)[:MAX_TEXT]
    return flat


def metrics_processor() -> TracingProcessor:
    """Prometheus metrics from the same spans (tasks.runtime.metrics)."""
    return MetricsProcessor(tool.name for tool in SUPPORT_TOOLS)


def tracing_install(*, export_to_openai: bool) -> list[TracingProcessor]:
    """Registers the processors the settings ask for (replacing any before) and returns them.
    The SDK's own exporter to OpenAI is added only with a key for OpenAI itself."""
    from agents import set_trace_processors, set_tracing_disabled
    from agents.tracing.processors import default_processor

    processors: list[TracingProcessor] = []
    if settings.TRACES_ENABLED or settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        processors.append(metrics_processor())
    if export_to_openai:
        processors.append(default_processor())
    if settings.TRACES_ENABLED:
        processors.append(task_traces)
    if settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        processors.append(
            OtlpProcessor(settings.OTEL_EXPORTER_OTLP_ENDPOINT, settings.OTEL_SERVICE_NAME)
        )
    set_trace_processors(processors)
    set_tracing_disabled(not processors)
    return processors
