"""``manage.py eval``: runs the evaluation scenarios (``evals/scenarios/*.toml``) through the
real worker on the configured model (the offline one without a key), grades each trial by
its end state in the database, prints pass rate and pass^k, and stores the run for the Evals
page.

Trials run on a throwaway SQLite database (each starts from an empty one), so the portal's
data is never touched; the results are stored in the configured database afterwards.
``--check`` fails (exit 1) below the pass rate kept in ``evals/threshold.toml``: CI runs it on
the offline model."""

from __future__ import annotations

import asyncio
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.test.utils import override_settings

from tasks.agents.providers.provider import get_task_model
from tasks.evals.judge import judge_available
from tasks.evals.runner import SuiteResult, TrialResult, run_suite
from tasks.evals.scenarios import ScenarioError, scenarios_load
from tasks.evals.store import eval_run_store

EVALS_DIR = Path(settings.BASE_DIR) / "evals"


def min_pass_rate(path: Path) -> float:
    """The pass rate CI holds the offline model to (``min_pass_rate`` in the file)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        value = float(data["min_pass_rate"])
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CommandError(f"{path}: needs min_pass_rate = <0..1> ({exc})") from None
    if not 0 <= value <= 1:
        raise CommandError(f"{path}: min_pass_rate must be between 0 and 1, not {value}")
    return value


class Command(BaseCommand):
    help = "Runs the evaluation scenarios and grades the agents by the end state they leave."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--k", type=int, default=1, help="Trials per scenario (pass^k).")
        parser.add_argument(
            "--only", default="", help="Only scenarios whose name contains this text."
        )
        parser.add_argument(
            "--scenarios", default=str(EVALS_DIR / "scenarios"), help="The scenario folder."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit 1 when the pass rate is below evals/threshold.toml's min_pass_rate.",
        )
        parser.add_argument("--no-store", action="store_true", help="Do not store the run.")
        parser.add_argument(
            "--use-configured-db",
            action="store_true",
            help="Run the trials on the configured database, which each trial EMPTIES: only "
            "for a throwaway database (the tests).",
        )
        parser.add_argument("--label", default="", help="A note stored with the run.")
        parser.add_argument(
            "--judge",
            action="store_true",
            help="Also score each reply with the judge model (AGENTDESK_JUDGE_MODEL; needs "
            "OPENAI_API_KEY or a compatible OPENAI_BASE_URL). Never changes pass or fail.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        k = options["k"]
        if k < 1:
            raise CommandError("--k must be 1 or more")
        try:
            scenarios = scenarios_load(Path(options["scenarios"]))
        except ScenarioError as exc:
            raise CommandError(f"Scenario file: {exc}") from None
        if options["only"]:
            scenarios = [s for s in scenarios if options["only"] in s.name]
            if not scenarios:
                raise CommandError(f"No scenario name contains {options['only']!r}")
        threshold = min_pass_rate(EVALS_DIR / "threshold.toml") if options["check"] else None
        self.judge = bool(options["judge"])
        if self.judge and not judge_available():
            raise CommandError(
                "--judge needs the OpenAI API: set OPENAI_API_KEY (or OPENAI_BASE_URL for a "
                "compatible server) and AGENTDESK_JUDGE_MODEL"
            )
        self.stdout.write(f"{len(scenarios)} scenarios x {k} trial{'s' if k > 1 else ''}")
        result = self._run(scenarios, k, options["use_configured_db"])
        self._report(result)
        if not options["no_store"]:
            run = eval_run_store(result, label=options["label"])
            self.stdout.write(f"Stored as eval run {run.pk} (the Evals page shows it).")
        if threshold is not None:
            if result.pass_rate < threshold:
                raise CommandError(
                    f"Pass rate {result.pass_rate:.1%} is below the {threshold:.1%} kept in "
                    "evals/threshold.toml"
                )
            self.stdout.write(f"Pass rate at or above the {threshold:.1%} kept in the repo.")

    def _run(self, scenarios: list[Any], k: int, configured: bool) -> SuiteResult:
        if configured:
            return self._suite(scenarios, k)
        connection = connections["default"]
        original = dict(connection.settings_dict)
        with tempfile.TemporaryDirectory(prefix="agentdesk-eval-") as tmp:
            connection.close()
            connection.settings_dict.update(
                ENGINE="config.sqlite",
                NAME=str(Path(tmp) / "eval.sqlite3"),
                OPTIONS={
                    "timeout": 20,
                    "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            )
            try:
                call_command("migrate", verbosity=0, interactive=False)
                return self._suite(scenarios, k)
            finally:
                connections.close_all()
                connection.settings_dict.clear()
                connection.settings_dict.update(original)

    def _suite(self, scenarios: list[Any], k: int) -> SuiteResult:
        # No pacing for a person to watch, no throttle between trials.
        with override_settings(OFFLINE_MODEL_DELAY=0.0, TASK_STARTS_PER_MINUTE=0):
            return asyncio.run(
                run_suite(
                    scenarios,
                    k=k,
                    model_factory=get_task_model,
                    on_trial=self._trial,
                    judge=self.judge,
                )
            )

    def _trial(self, trial: TrialResult) -> None:
        mark = "pass" if trial.passed else "FAIL"
        judged = ""
        if trial.judge_score is not None or trial.judge_notes:
            judged = f"   judge {trial.judge_score or '-'}/5 {trial.judge_notes}"[:160]
        self.stdout.write(f"  {mark}  {trial.scenario.name} #{trial.trial}{judged}")
        if self.verbosity >= 2:
            for key, value in trial.state.items():
                self.stdout.write(f"        {key}: {value!r}")
        for check in trial.failed_checks:
            self.stdout.write(f"        {check.name}: expected {check.expected!r}")
            self.stdout.write(f"        {'':{len(check.name)}}  got      {check.actual!r}")

    def _report(self, result: SuiteResult) -> None:
        out = self.stdout.write
        scenarios = result.by_scenario()
        passed = sum(all(t.passed for t in trials) for trials in scenarios.values())
        out(f"Model: {result.model}")
        out(
            f"Pass rate: {result.pass_rate:.1%} of {len(result.trials)} trials; "
            f"{passed}/{len(scenarios)} scenarios passed every trial"
        )
        for k in sorted({1, result.k}):
            out(f"pass^{k}: {result.pass_hat(k):.3f}")
        out(f"Cost: ${result.cost:.4f}; mean latency {result.mean_latency_ms:.0f} ms per trial")
        by_category: dict[str, list[bool]] = {}
        for trial in result.trials:
            by_category.setdefault(trial.scenario.category, []).append(trial.passed)
        out(
            "By category: "
            + ", ".join(f"{name} {sum(v)}/{len(v)}" for name, v in sorted(by_category.items()))
        )
