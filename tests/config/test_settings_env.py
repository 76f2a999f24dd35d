"""Numbers from the environment: a wrong value stops the process with the variable's name and
what it must be, instead of a bare ValueError (or a worker that never admits a run)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_float, env_int


def test_an_unset_or_blank_variable_takes_the_default(monkeypatch):
    monkeypatch.delenv("AGENTDESK_X", raising=False)
    assert env_int("AGENTDESK_X", 4) == 4
    monkeypatch.setenv("AGENTDESK_X", "  ")
    assert env_float("AGENTDESK_X", 0.5) == 0.5


def test_a_valid_value_is_read(monkeypatch):
    monkeypatch.setenv("AGENTDESK_X", " 8 ")
    assert env_int("AGENTDESK_X", 4, minimum=1) == 8
    assert env_float("AGENTDESK_X", 1.0) == 8.0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("four", "AGENTDESK_X must be a whole number, not 'four'"),
        ("2.5", "AGENTDESK_X must be a whole number, not '2.5'"),
        ("0", "AGENTDESK_X must be at least 1, not '0'"),
    ],
)
def test_a_wrong_whole_number_names_the_variable(monkeypatch, raw, message):
    monkeypatch.setenv("AGENTDESK_X", raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_int("AGENTDESK_X", 4, minimum=1)


def test_a_wrong_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("AGENTDESK_X", "soon")
    with pytest.raises(ImproperlyConfigured, match="AGENTDESK_X must be a number, not 'soon'"):
        env_float("AGENTDESK_X", 1.0)
    monkeypatch.setenv("AGENTDESK_X", "-1")
    with pytest.raises(ImproperlyConfigured, match=r"must be at least 0\.1"):
        env_float("AGENTDESK_X", 1.0, minimum=0.1)
