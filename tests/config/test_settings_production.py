"""The production profile (``config.settings_production``): ``check --deploy`` is clean, and it
refuses to start without a real secret key or host list."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.production_checks import (
    ALLOWED_HOSTS_REQUIRED,
    SECRET_KEY_REQUIRED,
    production_env_check,
)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k3Yq9-7ZpW2vX8rT5nB1mL6cD4hJ0sF9gA2eR7tU3iO8pQ5wE1zX6yV4bN0mC"
CLEAN = "System check identified no issues (0 silenced)."


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings_production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issues():
    result = manage(
        "check", "--deploy", DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS="desk.example.com"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == CLEAN
    assert "WARNINGS" not in result.stderr


def test_the_profile_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_ALLOWED_HOSTS="desk.example.com")

    assert result.returncode != 0
    assert SECRET_KEY_REQUIRED in result.stderr


@pytest.mark.parametrize(
    ("secret_key", "allowed_hosts", "message"),
    [
        ("", "desk.example.com", SECRET_KEY_REQUIRED),
        ("short-key", "desk.example.com", SECRET_KEY_REQUIRED),
        ("a" * 60, "desk.example.com", SECRET_KEY_REQUIRED),
        (SECRET, "", ALLOWED_HOSTS_REQUIRED),
        (SECRET, "  ", ALLOWED_HOSTS_REQUIRED),
    ],
)
def test_a_weak_secret_key_or_no_host_names_are_refused(secret_key, allowed_hosts, message):
    with pytest.raises(ImproperlyConfigured, match="^" + message[:40]):
        production_env_check(secret_key=secret_key, allowed_hosts=allowed_hosts)


def test_a_real_secret_key_and_host_names_pass():
    production_env_check(secret_key=SECRET, allowed_hosts="desk.example.com")
