"""Prometheus metrics of the process (prometheus-client), served at /metrics.

* From the runs' trace spans (``MetricsProcessor``, a tracing processor beside the task-trace
  one): model-call latency and time to first token, tokens, tool-call durations and tool
  errors, approval waits. With stored traces off (``AGENTDESK_TRACES=0``) and no collector,
  runs are not traced and these stay at zero.
* From the worker: runs by how they ended. From the sockets: open websockets by kind. From
  the HTTP middleware (tasks.views.metrics): requests by route, method and status, latency.
* From the database at scrape time (``operations_snapshot``): tasks by status, the queue
  depth, pending approvals and the oldest one's age.

Scaled out, set ``PROMETHEUS_MULTIPROC_DIR`` (``.ci/scale`` does) to a directory shared by the
machine's web and worker processes: any web process then reports all of them
(prometheus-client's multiprocess mode)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from agents.tracing import Span, Trace, TracingProcessor
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from tasks.dashboard_selectors import operations_snapshot
from tasks.runtime.span_times import span_times

SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
WAITS = (1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 72 * 3600)
OTHER = "other"

MODEL_CALL_SECONDS = Histogram(
    "agentdesk_model_call_seconds", "Model call (turn) latency.", ["model"], buckets=SECONDS
)
TIME_TO_FIRST_TOKEN_SECONDS = Histogram(
    "agentdesk_time_to_first_token_seconds",
    "Time from a model call to its first streamed token.",
    ["model"],
    buckets=SECONDS,
)
MODEL_TOKENS = Counter("agentdesk_model_tokens", "Tokens of model calls.", ["model", "kind"])
TOOL_CALL_SECONDS = Histogram(
    "agentdesk_tool_call_seconds", "Tool call duration.", ["tool"], buckets=SECONDS
)
TOOL_ERRORS = Counter("agentdesk_tool_errors", "Tool calls that returned an error.", ["tool"])
APPROVAL_WAIT_SECONDS = Histogram(
    "agentdesk_approval_wait_seconds",
    "How long a paused call waited for a person's decision.",
    ["decision"],
    buckets=WAITS,
)
TASK_RUNS = Counter("agentdesk_task_runs", "Task runs by how they ended.", ["status"])
WEBSOCKETS_OPEN = Gauge(
    "agentdesk_websockets_open", "Open websockets.", ["socket"], multiprocess_mode="livesum"
)
HTTP_REQUESTS = Counter(
    "agentdesk_http_requests", "HTTP requests served.", ["route", "method", "status"]
)
HTTP_REQUEST_SECONDS = Histogram(
    "agentdesk_http_request_seconds", "HTTP request latency.", ["route"], buckets=SECONDS
)


class MetricsProcessor(TracingProcessor):
    """Observes the spans of every traced run. Labels are bounded: a tool name the agents do
    not have (a model may name anything) counts as "other"."""

    def __init__(self, tool_names: Iterable[str] = ()) -> None:
        self.tool_names = frozenset(tool_names)

    def on_trace_start(self, trace: Trace) -> None:
        pass

    def on_trace_end(self, trace: Trace) -> None:
        pass

    def on_span_start(self, span: Span[Any]) -> None:
        pass

    def on_span_end(self, span: Span[Any]) -> None:
        data = span.span_data
        kind = data.type
        if kind == "function":
            self._tool(span, data)
        elif kind == "custom":
            name = getattr(data, "name", "")
            values = getattr(data, "data", None) or {}
            if name == "model call":
                self._model(values)
            elif name == "approval wait":
                self._approval(span, values)

    def _tool(self, span: Span[Any], data: Any) -> None:
        tool = data.name if data.name in self.tool_names else OTHER
        seconds = _seconds(span)
        if seconds is not None:
            TOOL_CALL_SECONDS.labels(tool).observe(seconds)
        output = data.output
        if span.error or (isinstance(output, str) and output.lstrip().startswith('{"error"')):
            TOOL_ERRORS.labels(tool).inc()

    def _model(self, values: dict[str, Any]) -> None:
        model = str(values.get("model") or OTHER)
        if values.get("latency_ms") is not None:
            MODEL_CALL_SECONDS.labels(model).observe(values["latency_ms"] / 1000)
        if values.get("ttft_ms") is not None:
            TIME_TO_FIRST_TOKEN_SECONDS.labels(model).observe(values["ttft_ms"] / 1000)
        for kind in ("input", "output", "cached"):
            count = values.get(f"{kind}_tokens") or 0
            if count:
                MODEL_TOKENS.labels(model, kind).inc(count)

    def _approval(self, span: Span[Any], values: dict[str, Any]) -> None:
        started, ended = span_times(span, values)
        decision = str(values.get("decision") or OTHER)
        APPROVAL_WAIT_SECONDS.labels(decision).observe((ended - started).total_seconds())

    def shutdown(self) -> None:
        pass

    def force_flush(self) -> None:
        pass


def _seconds(span: Span[Any]) -> float | None:
    started, ended = span_times(span, {})
    return (ended - started).total_seconds()


class DatabaseCollector(Collector):
    """Gauges read from the database when scraped."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = operations_snapshot()
        tasks = GaugeMetricFamily("agentdesk_tasks", "Tasks by status.", labels=["status"])
        for status, count in snapshot["tasks"].items():
            tasks.add_metric([status], count)
        yield tasks
        yield GaugeMetricFamily(
            "agentdesk_queue_depth",
            "Tasks queued for a worker.",
            value=snapshot["tasks"].get("queued", 0),
        )
        yield GaugeMetricFamily(
            "agentdesk_approvals_pending",
            "Approval requests waiting for a person.",
            value=snapshot["approvals_pending"],
        )
        yield GaugeMetricFamily(
            "agentdesk_oldest_approval_wait_seconds",
            "How long the oldest pending approval request has waited.",
            value=snapshot["oldest_approval_seconds"],
        )


def metrics_exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format (and its content type)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        process = generate_latest(registry)
    else:
        process = generate_latest(REGISTRY)
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return process + generate_latest(database), CONTENT_TYPE_LATEST
