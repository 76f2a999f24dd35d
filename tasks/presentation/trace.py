"""A task's trace as a waterfall: one block per start of the task (a first run, a resume after
approval, a follow-up), each span a row indented under its parent, with a bar placed by its
start and length within that start. Used by the task page and ``GET /api/tasks/{id}/trace``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tasks.models import TaskSpan

BAR_WIDTH = 1000  # the bar's SVG viewBox width (no inline styles under the CSP)


@dataclass
class WaterfallRow:
    span: TaskSpan
    depth: int
    offset_ms: float
    bar_x: int
    bar_width: int

    @property
    def label(self) -> str:
        return f"{self.span.get_kind_display()}: {self.span.name}"

    @property
    def summary(self) -> str:
        """What the row's line says after its name: tokens, time to first token, decision."""
        data: dict[str, Any] = self.span.data or {}
        kind = self.span.kind
        if kind == TaskSpan.Kind.MODEL:
            parts = [f"{data.get('input_tokens', 0)} in / {data.get('output_tokens', 0)} out"]
            if data.get("cached_tokens"):
                parts.append(f"{data['cached_tokens']} cached")
            if data.get("ttft_ms") is not None:
                parts.append(f"first token {data['ttft_ms']:.0f} ms")
            return ", ".join(parts)
        if kind == TaskSpan.Kind.APPROVAL:
            return str(data.get("decision", ""))
        if kind == TaskSpan.Kind.TOOL and data.get("output") is None and not self.span.error:
            return "paused for approval"
        if kind == TaskSpan.Kind.GUARDRAIL:
            return "triggered" if data.get("triggered") else "passed"
        return ""


@dataclass
class TraceBlock:
    number: int
    trace_id: str
    run_number: int
    started_at: datetime
    duration_ms: float
    rows: list[WaterfallRow] = field(default_factory=list)


def _depths(spans: list[TaskSpan]) -> dict[str, int]:
    by_id = {s.span_id: s for s in spans}
    depths: dict[str, int] = {}

    def depth(span: TaskSpan) -> int:
        seen = 0
        node = span
        while node.parent_id in by_id and seen < 50:
            node = by_id[node.parent_id]
            seen += 1
        return seen

    for span in spans:
        depths[span.span_id] = depth(span)
    return depths


def _ordered(spans: list[TaskSpan]) -> list[TaskSpan]:
    """Depth first: each span followed by its children, by start time."""
    ids = {s.span_id for s in spans}
    children: dict[str, list[TaskSpan]] = defaultdict(list)
    roots: list[TaskSpan] = []
    for span in spans:
        if span.parent_id and span.parent_id in ids:
            children[span.parent_id].append(span)
        else:
            roots.append(span)
    ordered: list[TaskSpan] = []
    stack = list(reversed(roots))
    while stack:
        span = stack.pop()
        ordered.append(span)
        stack.extend(reversed(children.get(span.span_id, [])))
    return ordered


def trace_blocks(spans: list[TaskSpan]) -> list[TraceBlock]:
    """Spans (oldest first) as one waterfall per trace, in the order the traces began."""
    traces: dict[str, list[TaskSpan]] = defaultdict(list)
    for span in spans:
        traces[span.trace_id].append(span)
    blocks: list[TraceBlock] = []
    for number, (trace_id, members) in enumerate(traces.items(), start=1):
        start = min(s.started_at for s in members)
        end = max(s.ended_at for s in members)
        total_ms = max((end - start).total_seconds() * 1000, 0.001)
        depths = _depths(members)
        block = TraceBlock(number, trace_id, members[0].run_number, start, round(total_ms, 3))
        for span in _ordered(members):
            offset = (span.started_at - start).total_seconds() * 1000
            x = int(BAR_WIDTH * offset / total_ms)
            width = max(2, int(BAR_WIDTH * span.duration_ms / total_ms))
            block.rows.append(
                WaterfallRow(
                    span=span,
                    depth=min(depths[span.span_id], 8),
                    offset_ms=round(offset, 3),
                    bar_x=min(x, BAR_WIDTH - 2),
                    bar_width=min(width, BAR_WIDTH - min(x, BAR_WIDTH - 2)),
                )
            )
        blocks.append(block)
    return blocks
