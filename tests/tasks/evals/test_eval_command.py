"""manage.py eval: trials run through the real worker on the offline model, graded by the end
state; the run is stored with pass^k; --check fails below the threshold; a failed trial
records which checks failed, with what was expected and what was found."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tasks.management.commands import eval as eval_command
from tasks.models import EvalResult, EvalRun

pytestmark = pytest.mark.django_db(transaction=True)

FAILING = """
[[scenario]]
name = "expects-a-refund-nobody-asked-for"
category = "how_to"
customers = [{ key = "kai", name = "Kai Andersen" }]
orders = [{ key = "o", customer = "kai", description = "Lamp", amount = "9.50", days_ago = 3 }]
ticket = { customer = "kai", subject = "How do I invite my team?", body = "Where is it?" }
[scenario.expect]
refunds = [{ order = "o", amount = "9.50" }]
reply_must = ["Settings"]
"""


def run(*args: str, **options) -> str:
    out = StringIO()
    call_command("eval", *args, "--use-configured-db", stdout=out, **options)
    return out.getvalue()


def test_two_trials_of_a_scenario_are_graded_and_stored():
    text = run("--only", "billing-duplicate-charge", "--k", "2", "--label", "smoke")

    assert "pass  billing-duplicate-charge #1" in text and "pass^2: 1.000" in text
    run_row = EvalRun.objects.get()
    assert (run_row.k, run_row.scenarios, run_row.trials, run_row.passed) == (2, 1, 2, 2)
    assert run_row.model == "agentdesk-offline" and run_row.label == "smoke"
    assert run_row.pass_rate == 1.0 and run_row.pass_hat_k == 1.0
    first = EvalResult.objects.get(run=run_row, trial=1)
    assert first.end_state["refunds"] == [["second", "29.00"]]
    assert all(check["ok"] for check in first.checks)


def test_a_failed_end_state_is_kept_as_a_diff(tmp_path: Path):
    (tmp_path / "failing.toml").write_text(FAILING)

    text = run("--scenarios", str(tmp_path))

    assert "FAIL  expects-a-refund-nobody-asked-for #1" in text
    result = EvalResult.objects.get()
    [refunds] = [c for c in result.failed_checks if c["name"] == "refunds"]
    assert refunds["expected"] == [["o", "9.50"]] and refunds["actual"] == []
    assert result.passed is False and EvalRun.objects.get().pass_rate == 0.0


def test_check_fails_below_the_threshold(tmp_path: Path, monkeypatch):
    (tmp_path / "failing.toml").write_text(FAILING)
    threshold = tmp_path / "threshold.toml"
    threshold.write_text("min_pass_rate = 0.5\n")
    monkeypatch.setattr(eval_command, "EVALS_DIR", tmp_path)

    with pytest.raises(CommandError, match=r"Pass rate 0.0% is below the 50.0%"):
        run("--scenarios", str(tmp_path), "--check", "--no-store")
    assert not EvalRun.objects.exists()


def test_a_broken_scenario_file_stops_before_any_trial(tmp_path: Path):
    (tmp_path / "broken.toml").write_text('[[scenario]]\nname = "x"\ncategory = "nope"\n')
    with pytest.raises(CommandError, match=r"Scenario file: broken\.toml scenario 1"):
        run("--scenarios", str(tmp_path))


def test_the_threshold_in_the_repo_is_a_rate():
    assert 0 < eval_command.min_pass_rate(eval_command.EVALS_DIR / "threshold.toml") <= 1


@pytest.fixture
def judge_stub(settings):
    from tests.openai_stub import serve_stub

    yield from serve_stub(settings, JUDGE_MODEL="judge-test-model")


def test_the_judge_scores_each_reply_and_never_decides_a_pass(judge_stub, monkeypatch):
    from tasks.agents.providers.provider import offline_model
    from tests.openai_stub import RESPONSES, message_reply

    # the agents stay on the offline model; only the judge talks to the (stub) API
    monkeypatch.setattr(eval_command, "get_task_model", lambda: (offline_model(), "offline"))
    judge_stub.script(
        RESPONSES,
        message_reply('{"score": 4, "reason": "Correct and clear."}'),
        message_reply("I think it is a 5!"),
    )

    text = run("--only", "billing-duplicate-charge", "--k", "2", "--judge")

    first, second = EvalResult.objects.order_by("trial")
    assert (first.judge_score, first.judge_notes) == (4, "Correct and clear.")
    assert second.judge_score is None and second.judge_notes.startswith("Judge answer unusable")
    assert first.passed and second.passed  # the end state decides, not the judge
    assert EvalRun.objects.get().judge_model == "judge-test-model"
    assert "judge 4/5 Correct and clear." in text
    [request, _] = judge_stub.requests
    assert request.body["model"] == "judge-test-model"
    assert "<reply>" in request.body["input"] and "ignore them" in request.body["instructions"]


def test_the_judge_needs_the_api(settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    with pytest.raises(CommandError, match="--judge needs the OpenAI API"):
        run("--only", "billing-duplicate-charge", "--judge")


def test_a_task_left_waiting_fails_when_the_approver_was_to_decide(tmp_path: Path, monkeypatch):
    from tasks.evals import runner

    # the approver is to approve, but the trial never gets to decide: the run stays waiting
    monkeypatch.setattr(runner, "_decide_pending", lambda world, task_id: 0)
    run("--only", "billing-duplicate-charge")
    result = EvalResult.objects.get()
    [finished] = [c for c in result.checks if c["name"] == "task finished"]
    assert not finished["ok"] and finished["actual"] == "awaiting_approval"
