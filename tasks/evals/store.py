"""Stores an evaluation run and its trials (the Evals page reads them)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tasks.evals.runner import SuiteResult
from tasks.models import EvalResult, EvalRun


@transaction.atomic
def eval_run_store(result: SuiteResult, *, label: str = "") -> EvalRun:
    now = timezone.now()
    elapsed = sum(t.latency_ms for t in result.trials) / 1000
    run = EvalRun.objects.create(
        started_at=now - timedelta(seconds=elapsed),
        finished_at=now,
        model=result.model or "unknown",
        k=result.k,
        scenarios=len(result.by_scenario()),
        trials=len(result.trials),
        passed=sum(t.passed for t in result.trials),
        pass_rate=result.pass_rate,
        pass_hat_k=result.pass_hat(result.k),
        cost=result.cost,
        mean_latency_ms=result.mean_latency_ms,
        label=label[:200],
        judge_model=result.judge_model,
    )
    EvalResult.objects.bulk_create(
        EvalResult(
            run=run,
            scenario=t.scenario.name,
            category=t.scenario.category,
            trial=t.trial,
            passed=t.passed,
            checks=[c.as_dict() for c in t.checks],
            end_state=t.state,
            cost=t.cost,
            input_tokens=t.input_tokens,
            output_tokens=t.output_tokens,
            latency_ms=t.latency_ms,
            error=t.error,
            judge_score=t.judge_score,
            judge_notes=t.judge_notes,
        )
        for t in result.trials
    )
    return run
