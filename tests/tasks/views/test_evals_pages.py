"""The Evals page: pass rate per model, the runs, a run's failed end states as a diff, and two
runs side by side with regressions first; bad compare input is said, unknown runs are 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tasks.models import EvalResult, EvalRun
from tasks.views.evals import COMPARE_NEEDS_TWO

pytestmark = pytest.mark.django_db


def make_run(model: str, outcomes: dict[str, bool]) -> EvalRun:
    now = timezone.now()
    passed = sum(outcomes.values())
    run = EvalRun.objects.create(
        started_at=now, finished_at=now, model=model, k=1, scenarios=len(outcomes),
        trials=len(outcomes), passed=passed, pass_rate=passed / len(outcomes),
        pass_hat_k=passed / len(outcomes), cost=Decimal("0.01"),
    )  # fmt: skip
    for name, ok in outcomes.items():
        checks = [{"name": "refunds", "ok": ok, "expected": [["o", "9.50"]], "actual": []}]
        EvalResult.objects.create(
            run=run, scenario=name, category="refund", trial=1, passed=ok, checks=checks
        )
    return run


@pytest.fixture
def runs() -> tuple[EvalRun, EvalRun]:
    a = make_run("agentdesk-offline", {"refund-one": True, "refund-two": True})
    b = make_run("gpt-5-mini", {"refund-one": False, "refund-two": True, "refund-new": True})
    return a, b


def test_the_list_shows_models_and_runs(staff_client, runs):
    html = staff_client.get(reverse("tasks:evals")).content.decode()
    assert "agentdesk-offline" in html and "gpt-5-mini" in html
    assert "100%" in html and "67%" in html
    assert f'href="{reverse("tasks:eval_run", args=[runs[0].pk])}"' in html


def test_a_run_shows_each_failed_end_state_as_a_diff(staff_client, runs):
    html = staff_client.get(reverse("tasks:eval_run", args=[runs[1].pk])).content.decode()
    assert "refund-one" in html and "0/1" in html
    assert "Trial 1: 1 check failed" in html
    assert 'class="diff-expected"><pre>[[&#x27;o&#x27;, &#x27;9.50&#x27;]]</pre>' in html


def test_two_runs_side_by_side_put_regressions_first(staff_client, runs):
    a, b = runs
    url = f"{reverse('tasks:eval_compare')}?a={a.pk}&b={b.pk}"
    html = staff_client.get(url).content.decode()
    assert html.index("refund-one") < html.index("refund-new") < html.index("refund-two")
    assert "worse" in html and "only in one run" in html


@pytest.mark.parametrize("query", ["", "a=1", "a=x&b=2", "a=3&b=3", "a=1&b=99999999999999"])
def test_a_compare_without_two_runs_says_so(staff_client, runs, query):
    response = staff_client.get(f"{reverse('tasks:eval_compare')}?{query}")
    assert response.status_code == 400
    assert COMPARE_NEEDS_TWO in response.content.decode()


def test_an_unknown_run_is_a_404(staff_client):
    assert staff_client.get(reverse("tasks:eval_run", args=[424242])).status_code == 404
