"""Traces of task runs: one row per span the Agents SDK (and the run around it) recorded: the
run, its turns, each model call, each tool call, approval waits, guardrails and handoffs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router

from tasks.models.work import Task

# The columns a run's span records fill, in INSERT order.
_COLUMNS = (
    "task_id",
    "run_number",
    "trace_id",
    "span_id",
    "parent_id",
    "kind",
    "name",
    "started_at",
    "ended_at",
    "duration_ms",
    "data",
    "error",
)


def _json_or_none(ops: Any, value: Any) -> Any:
    return None if value is None else ops.adapt_json_value(value, None)


class TaskSpanManager(models.Manager["TaskSpan"]):
    def store(self, task_id: int, records: Iterable[dict[str, Any]]) -> int:
        """Inserts span records (``tasks.runtime.tracing.span_record`` plus ``run_number``) in
        one statement (see ``store_many``)."""
        return self.store_many([(task_id, records)])

    def store_many(self, groups: Iterable[tuple[int, Iterable[dict[str, Any]]]]) -> int:
        """Inserts the span records of many tasks (``(task_id, records)`` pairs) in one
        statement. Runs write their spans with every batch of events, and a group commit holds
        the batches of many runs, so this skips what ``bulk_create`` costs per call (model
        instances, per-field preparation, returning ids: about 0.6 ms for three spans against
        0.1 ms here); values are adapted with the connection's own operations, as the ORM
        would."""
        connection = connections[router.db_for_write(self.model)]
        ops = connection.ops
        params = [
            (
                task_id,
                record.get("run_number", 1),
                record["trace_id"],
                record["span_id"],
                record.get("parent_id") or "",
                record["kind"],
                record["name"],
                ops.adapt_datetimefield_value(record["started_at"]),
                ops.adapt_datetimefield_value(record["ended_at"]),
                float(record.get("duration_ms") or 0),
                ops.adapt_json_value(record.get("data") or {}, None),
                None
                if record.get("error") is None
                else ops.adapt_json_value(record["error"], None),
            )
            for task_id, records in groups
            for record in records
        ]
        if not params:
            return 0
        table = ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(ops.quote_name(c) for c in _COLUMNS)
        marks = ", ".join(["%s"] * len(_COLUMNS))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)
        return len(params)


class TaskSpan(models.Model):
    class Kind(models.TextChoices):
        RUN = "run", "Run"
        TURN = "turn", "Turn"
        AGENT = "agent", "Agent"
        MODEL = "model", "Model call"
        RESPONSE = "response", "Model response"
        GENERATION = "generation", "Generation"
        TOOL = "tool", "Tool call"
        APPROVAL = "approval", "Approval wait"
        GUARDRAIL = "guardrail", "Guardrail"
        HANDOFF = "handoff", "Handoff"
        OTHER = "other", "Other"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="spans")
    # Which run of the task (a follow-up or a Retry starts a new one). Every start of the task
    # (a resume after approval, a replay after a worker died too) is a trace of its own.
    run_number = models.PositiveIntegerField(default=1)
    trace_id = models.CharField(max_length=64)
    span_id = models.CharField(max_length=64)
    parent_id = models.CharField(max_length=64, blank=True, default="")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    duration_ms = models.FloatField(default=0)
    data = models.JSONField(default=dict, blank=True)
    error = models.JSONField(null=True, blank=True)

    objects = TaskSpanManager()

    class Meta:
        ordering = ["task", "started_at", "id"]
        indexes = [models.Index(fields=["task", "started_at"], name="task_span_task_start")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind} {self.name}"
