"""Evaluation runs (``manage.py eval``): one row per run and one per trial of a scenario,
with the end state it left and the checks it passed or failed."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class EvalRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    model = models.CharField(max_length=100)
    k = models.PositiveIntegerField(help_text="Trials per scenario.")
    scenarios = models.PositiveIntegerField()
    trials = models.PositiveIntegerField()
    passed = models.PositiveIntegerField(help_text="Trials that passed.")
    pass_rate = models.FloatField()
    pass_hat_k = models.FloatField(help_text="pass^k averaged over scenarios.")
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    mean_latency_ms = models.FloatField(default=0)
    label = models.CharField(max_length=200, blank=True, default="")
    judge_model = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Eval run {self.pk} ({self.model}, {self.pass_rate:.0%})"


class EvalResult(models.Model):
    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="results")
    scenario = models.CharField(max_length=120)
    category = models.CharField(max_length=40)
    trial = models.PositiveIntegerField()
    passed = models.BooleanField()
    # [{"name", "ok", "expected", "actual"}]: a failed end state reads as a diff of these.
    checks = models.JSONField(default=list)
    end_state = models.JSONField(default=dict)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.FloatField(default=0)
    error = models.TextField(blank=True, default="")
    # The optional rubric grader (manage.py eval --judge): 1-5, or None when not judged.
    judge_score = models.PositiveSmallIntegerField(null=True, blank=True)
    judge_notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["run", "scenario", "trial"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "scenario", "trial"], name="eval_result_unique_trial"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scenario} #{self.trial}: {'pass' if self.passed else 'fail'}"

    @property
    def failed_checks(self) -> list[dict[str, object]]:
        return [c for c in self.checks if not c.get("ok")]
