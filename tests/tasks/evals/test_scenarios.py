"""Scenario files: the repo's suite (at least 40 scenarios, every ticket category, the
adversarial cases the issue names) loads, and a broken file is refused with where and why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tasks.evals.scenarios import ScenarioError, scenarios_load
from tasks.models import Ticket

SUITE = Path(settings.BASE_DIR) / "evals" / "scenarios"
GOOD = """
[[scenario]]
name = "one"
category = "refund"
customers = [{ key = "jane", name = "Jane Doe" }]
orders = [{ key = "o", customer = "jane", description = "Lamp", amount = "9.50", days_ago = 3 }]
ticket = { customer = "jane", subject = "Refund {o.number}", body = "Please." }
[scenario.expect]
refunds = [{ order = "o", amount = "9.5" }]
approvals = ["o"]
reply_must = ["{o.number}"]
"""


def test_the_suite_covers_every_category_and_the_adversarial_cases():
    scenarios = scenarios_load(SUITE)
    assert len(scenarios) >= 40
    assert {s.category for s in scenarios} == {value for value, _ in Ticket.Category.choices}
    tags = {tag for s in scenarios for tag in s.tags}
    for wanted in (
        "injection",
        "injection in thread",
        "other customer's order",
        "several duplicates",
        "other language",
        "already refunded",
        "promotion",
        "missing order",
        "huge body",
        "empty body",
    ):
        assert wanted in tags, wanted
    assert {s.approver for s in scenarios} == {"approve", "reject", "none"}


def _load(tmp_path: Path, text: str, name: str = "a.toml") -> list:
    (tmp_path / name).write_text(text)
    return scenarios_load(tmp_path)


def test_a_good_file_loads_with_amounts_normalised(tmp_path):
    [scenario] = _load(tmp_path, GOOD)
    assert scenario.expect.refunds[0][1].to_eng_string() == "9.50"
    assert scenario.source == "a.toml scenario 1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('category = "refund"', 'category = "refunds"'), "category must be one of"),
        (('name = "one"\n', ""), "name is required"),
        (('customer = "jane", description', 'customer = "joe", description'), "names no customer"),
        (('order = "o", amount', 'order = "x", amount'), "names no order of this scenario: 'x'"),
        (('amount = "9.50"', 'amount = "nine"'), "must be an amount"),
        (("days_ago = 3", "days_ago = -3"), "days_ago must be a number, 0 or more"),
        (('approvals = ["o"]', 'approvals = "o"'), "approvals must be a list of text"),
    ],
)
def test_a_broken_scenario_says_where_and_what(tmp_path, change, message):
    with pytest.raises(ScenarioError, match=message) as error:
        _load(tmp_path, GOOD.replace(*change))
    assert str(error.value).startswith("a.toml scenario 1")


def test_bad_toml_and_duplicate_names_are_refused(tmp_path):
    with pytest.raises(ScenarioError, match=re.escape("a.toml: not valid TOML")):
        _load(tmp_path, "[[scenario]\nname = ")
    (tmp_path / "a.toml").unlink()
    _load(tmp_path, GOOD, "a.toml")
    with pytest.raises(
        ScenarioError, match=re.escape("name 'one' is also used in a.toml scenario 1")
    ):
        _load(tmp_path, GOOD, "b.toml")


def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="no scenario files"):
        scenarios_load(tmp_path)
