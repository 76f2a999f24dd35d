"""The Evals page: stored evaluation runs (``manage.py eval``), pass rate per model, one run's
scenarios with each failed end state as a diff, and two runs side by side."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tasks.eval_selectors import eval_compare, eval_models, eval_runs, eval_scenario_rows
from tasks.models import EvalRun
from tasks.views.access import staff_required

COMPARE_NEEDS_TWO = "Choose two runs to compare."


def _run(run_id: int) -> EvalRun:
    run = EvalRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404(f"There is no eval run {run_id}.")
    return run


@require_GET
@staff_required
def evals_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tasks/evals.html",
        {"nav": "evals", "runs": eval_runs(), "models": eval_models()},
    )


@require_GET
@staff_required
def eval_run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(run_id)
    return render(
        request,
        "tasks/eval_run.html",
        {"nav": "evals", "run": run, "rows": eval_scenario_rows(run_id=run.pk)},
    )


@require_GET
@staff_required
def eval_compare_page(request: HttpRequest) -> HttpResponse:
    raw = (request.GET.get("a", ""), request.GET.get("b", ""))
    if not all(v.isdecimal() and len(v) < 12 for v in raw) or raw[0] == raw[1]:
        response = render(
            request,
            "tasks/evals.html",
            {
                "nav": "evals",
                "runs": eval_runs(),
                "models": eval_models(),
                "compare_error": COMPARE_NEEDS_TWO,
            },
            status=400,
        )
        return response
    run_a, run_b = _run(int(raw[0])), _run(int(raw[1]))
    return render(
        request,
        "tasks/eval_compare.html",
        {
            "nav": "evals",
            "a": run_a,
            "b": run_b,
            "rows": eval_compare(run_a=run_a.pk, run_b=run_b.pk),
        },
    )
