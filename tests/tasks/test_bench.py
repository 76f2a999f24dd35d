"""Smoke test of ``manage.py bench`` with a tiny load (the figures themselves are not asserted:
they depend on the machine)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tasks.models import Task


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
        stdout=out,
    )

    text = out.getvalue()
    assert "1) Orchestration overhead per agent turn" in text
    assert "overhead (full - bare)" in text
    assert "2) 3 concurrent tasks x 2 turns" in text
    assert "tasks completed 3/3" in text
    assert Task.objects.filter(status=Task.Status.COMPLETED).count() == 5
