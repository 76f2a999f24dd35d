"""Smoke test of ``manage.py bench`` with a tiny load (the figures themselves are not asserted:
they depend on the machine), and the one-line explanation of a missed throughput target."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from tasks.benchmarks.runtime import Phase, Throughput
from tasks.management.commands import bench
from tasks.management.commands.bench import throughput_verdict
from tasks.models import Task, TaskSpan
from tasks.runtime.gc_tuning import YOUNG_THRESHOLD, GcTuning


@pytest.fixture(autouse=True)
def _no_process_tuning(monkeypatch):
    """The command tunes its process as a worker does (a frozen heap, a patched SDK): in the
    test process that would outlive the test, so it is left out here."""
    monkeypatch.setattr(bench, "tune_gc_for_workers", lambda: GcTuning(0, gc.get_threshold()))
    monkeypatch.setattr(bench, "apply_sdk_speedups", lambda: False)


@pytest.mark.django_db(transaction=True)
def test_bench_runs_and_prints_both_measurements():
    out = StringIO()

    call_command(
        "bench",
        "--use-configured-db",
        tasks=3,
        turns=2,
        delay=0.01,
        overhead_runs=2,
        rounds=2,
        stdout=out,
    )

    text = out.getvalue()
    assert "Settings: DEBUG off; SDK tracing off for the bare SDK; stored traces on" in text
    assert "full system, traces off" in text and "target <= 0.5 ms p50" in text
    assert "1) Orchestration overhead per agent turn" in text
    assert "overhead (full - bare)" in text and "bare Runner.run_streamed" in text
    assert "x the SDK's streamed turn, target <= 0.5x" in text
    assert "x the paced floor (median of 2 rounds of the floor and the full system" in text
    assert "target <= 1.1x" in text
    assert "bare run_streamed, paced" in text and "turn slots" in text
    assert "2) 3 concurrent tasks x 2 turns" in text and "all started at once" in text
    assert "tasks completed 3/3" in text
    assert "starts spread over 0.01 s" in text
    assert "1b) Specialists and guardrails, off vs on" in text
    assert "completed 4 of 4 runs" in text
    # 2 one-at-a-time runs traced and 2 not, 2 + 2 ticket runs with specialists and guardrails
    # off and on, 3 tasks started at once and 3 more in the second round, 3 more with
    # staggered starts; the traced runs stored their spans
    assert Task.objects.filter(status=Task.Status.COMPLETED).count() == 17
    assert TaskSpan.objects.filter(kind="model").exists()


@pytest.mark.django_db(transaction=True)
def test_bench_can_skip_the_staggered_case():
    out = StringIO()

    call_command(
        "bench",
        "--use-configured-db",
        tasks=2,
        turns=2,
        delay=0.0,
        overhead_runs=1,
        stagger=0,
        rounds=1,
        stdout=out,
    )

    assert "starts spread" not in out.getvalue()


def _throughput(full_cpu: float) -> Throughput:
    return Throughput(
        tasks=200,
        turns=5,
        bare=Phase(wall=4.0, cpu=1.6),
        streamed=Phase(wall=4.5, cpu=2.0),
        paced=Phase(wall=3.0, cpu=1.9),
        full=Phase(wall=4.0, cpu=full_cpu),
        completed=200,
        events=2400,
    )


def test_a_cpu_bound_miss_is_explained_by_the_cpu_time():
    line = throughput_verdict(_throughput(full_cpu=3.5), ideal=2.5)

    assert line.startswith("CPU-bound: 1,000 turns took 3.50 s of CPU")
    assert "3.5 ms each" in line and "alone 2.0 ms" in line
    assert "1.1x the paced floor's wall time (3.30 s)" in line


def test_a_miss_with_cpu_to_spare_is_explained_by_a_round_of_turns():
    line = throughput_verdict(_throughput(full_cpu=2.0), ideal=2.5)

    assert line.startswith("Tasks started together get their model answers together")
    assert "one round of 200 turns is 0.40 s of CPU (2.0 ms per turn" in line


GC_PROBE = """
import gc, json
from tasks.runtime.gc_tuning import tune_gc_for_workers
first = tune_gc_for_workers()
again = tune_gc_for_workers()
print(json.dumps({"same": again is first, "frozen": first.frozen,
                  "young": gc.get_threshold()[0], "counted": gc.get_freeze_count()}))
"""


def test_gc_tuning_freezes_startup_objects_once():
    # In a process of its own: freezing the test process's heap would outlive the test.
    out = subprocess.run(
        [sys.executable, "-c", GC_PROBE],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    probe = json.loads(out)

    assert probe["same"] is True
    assert probe["frozen"] > 0 and probe["frozen"] == probe["counted"]
    assert probe["young"] == YOUNG_THRESHOLD
