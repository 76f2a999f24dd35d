"""What the Evals page reads: runs, pass rates per model and per scenario, a run's failed end
states, and two runs side by side. A fixed number of queries per page."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from tasks.models import EvalResult, EvalRun

RUNS_LIMIT = 50


@dataclass
class ModelSummary:
    model: str
    runs: int
    trials: int
    passed: int
    cost: Decimal

    @property
    def pass_rate(self) -> float:
        return self.passed / self.trials if self.trials else 0.0


@dataclass
class ScenarioRow:
    scenario: str
    category: str
    trials: int = 0
    passed: int = 0
    latency_ms: float = 0.0
    cost: Decimal = Decimal("0")
    failures: list[EvalResult] = field(default_factory=list)
    judge_scores: list[int] = field(default_factory=list)
    judge_notes: list[str] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.trials if self.trials else 0.0

    @property
    def judge_mean(self) -> float | None:
        return sum(self.judge_scores) / len(self.judge_scores) if self.judge_scores else None


def eval_runs(*, limit: int = RUNS_LIMIT) -> list[EvalRun]:
    return list(EvalRun.objects.order_by("-started_at", "-id")[:limit])


def eval_models() -> list[ModelSummary]:
    """Pass rate per model over every stored run (one query)."""
    rows = (
        EvalResult.objects.order_by()
        .values("run__model")
        .annotate(
            runs=Count("run", distinct=True),
            trials=Count("id"),
            passed=Count("id", filter=Q(passed=True)),
            cost=Sum("cost"),
        )
        .order_by("run__model")
    )
    return [
        ModelSummary(
            r["run__model"], r["runs"], r["trials"], r["passed"], r["cost"] or Decimal("0")
        )
        for r in rows
    ]


def eval_scenario_rows(*, run_id: int) -> list[ScenarioRow]:
    """A run's scenarios with their pass rate, and their failed trials (one query)."""
    rows: dict[str, ScenarioRow] = {}
    for result in EvalResult.objects.filter(run_id=run_id).order_by("scenario", "trial"):
        row = rows.setdefault(result.scenario, ScenarioRow(result.scenario, result.category))
        row.trials += 1
        row.passed += result.passed
        row.latency_ms += result.latency_ms
        row.cost += result.cost
        if not result.passed:
            row.failures.append(result)
        if result.judge_score is not None:
            row.judge_scores.append(result.judge_score)
        if result.judge_notes:
            row.judge_notes.append(result.judge_notes)
    for row in rows.values():
        row.latency_ms = row.latency_ms / row.trials if row.trials else 0.0
    return sorted(rows.values(), key=lambda r: (r.pass_rate, r.category, r.scenario))


@dataclass
class ComparedScenario:
    scenario: str
    category: str
    a: float | None
    b: float | None

    @property
    def change(self) -> str:
        if self.a is None or self.b is None:
            return "only in one run"
        if self.b > self.a:
            return "better"
        if self.b < self.a:
            return "worse"
        return ""


def eval_compare(*, run_a: int, run_b: int) -> list[ComparedScenario]:
    """Every scenario of either run with its pass rate in each (one query)."""
    rates: dict[str, dict[int, float]] = {}
    categories: dict[str, str] = {}
    rows = (
        EvalResult.objects.filter(run_id__in=(run_a, run_b))
        .order_by()
        .values("scenario", "category", "run_id")
        .annotate(n=Count("id"), passed=Count("id", filter=Q(passed=True)))
    )
    for row in rows:
        rates.setdefault(row["scenario"], {})[row["run_id"]] = row["passed"] / row["n"]
        categories[row["scenario"]] = row["category"]
    compared = [
        ComparedScenario(name, categories[name], by_run.get(run_a), by_run.get(run_b))
        for name, by_run in rates.items()
    ]
    order = {"worse": 0, "only in one run": 1, "better": 2, "": 3}
    return sorted(compared, key=lambda c: (order[c.change], c.category, c.scenario))
