"""Traces of task runs: one row per span the Agents SDK (and the run around it) recorded: the
run, its turns, each model call, each tool call, approval waits, guardrails and handoffs."""

from __future__ import annotations

from django.db import models

from tasks.models.work import Task


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

    class Meta:
        ordering = ["task", "started_at", "id"]
        indexes = [models.Index(fields=["task", "started_at"], name="task_span_task_start")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind} {self.name}"
