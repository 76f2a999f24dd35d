"""The offline copilot: which tool each plain-language request calls (and its obvious
variants), the follow-up question when a request is unclear, and answers that say only what
the tool results said. Pure: the engine reads a conversation of SDK input items."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tasks.agents.providers.offline_chat.engine import decide
from tasks.agents.providers.offline_chat.intents import read_intent


def conversation(text: str, *exchanges: tuple[str, dict[str, Any], dict[str, Any]]) -> list[Any]:
    items: list[Any] = [{"role": "user", "content": text}]
    for index, (name, arguments, result) in enumerate(exchanges):
        call_id = f"c{index}"
        items.append(
            {
                "type": "function_call",
                "call_id": call_id,
                "name": name,
                "arguments": json.dumps(arguments),
            }
        )
        items.append(
            {"type": "function_call_output", "call_id": call_id, "output": json.dumps(result)}
        )
    return items


def first_call(text: str) -> tuple[str, dict[str, Any]]:
    decision = decide(conversation(text))
    assert decision.calls, decision.message
    return decision.calls[0].name, decision.calls[0].arguments


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        (
            "investigate every open billing ticket from today",
            "search_tickets",
            {"status": "open", "category": "billing", "created": "today"},
        ),
        (
            "Please look into all urgent refund tickets",
            "search_tickets",
            {"priority": "urgent", "category": "refund"},
        ),
        ("investigate #1004 and #1005", "start_investigations", {"ticket_numbers": [1004, 1005]}),
        ("Investigate ticket 1007", "start_investigations", {"ticket_numbers": [1007]}),
        ("what's going on with #1004?", "get_ticket", {"number": 1004}),
        ("status of #1004", "get_ticket", {"number": 1004}),
        (
            "how many refunds wait for approval, and how much money is that?",
            "list_pending_approvals",
            {},
        ),
        ("any pending approvals?", "list_pending_approvals", {}),
        (
            "start a task: draft a runbook for duplicate charges from last week's tickets",
            "start_task",
            {"instructions": "draft a runbook for duplicate charges from last week's tickets"},
        ),
        ("cancel the task on #1012", "cancel_task", {"ticket_number": 1012}),
        ("stop task 12", "cancel_task", {"task_id": 12}),
        ("retry the task on #1012", "retry_task", {"ticket_number": 1012}),
        (
            "follow up on #1004: also check the March invoice",
            "follow_up_task",
            {"ticket_number": 1004, "text": "also check the March invoice"},
        ),
        ("how many open tickets are urgent?", "count_tickets", {"priority": "urgent"}),
        ("show new shipping tickets", "search_tickets", {"status": "new", "category": "shipping"}),
        ("who is alice@example.com?", "find_customer", {"query": "alice@example.com"}),
        ("status of task 12", "get_task", {"task_id": 12}),
    ],
)
def test_a_request_calls_the_tool_that_answers_it(
    text: str, tool: str, arguments: dict[str, Any]
) -> None:
    assert first_call(text) == (tool, arguments)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("investigate them", "Which tickets?"),
        ("please investigate some tickets", "Which tickets?"),
        ("cancel the task", "Which task?"),
        ("retry it", "Which task?"),
        ("follow up on #1004", "What should the follow-up say?"),
        ("what's going on with #1004 and #1005?", "Which ticket first?"),
        ("tell me about a customer", "Which customer?"),
    ],
)
def test_an_unclear_request_gets_a_question_and_no_tool_call(text: str, question: str) -> None:
    decision = decide(conversation(text))

    assert decision.calls == []
    assert decision.message is not None and decision.message.startswith(question)


def test_the_page_context_names_the_ticket_a_request_leaves_out() -> None:
    text = "cancel the task here\n\n(Context: the staff member is on ticket #1012)"

    assert first_call(text) == ("cancel_task", {"ticket_number": 1012})


def test_filters_found_by_a_search_are_then_started() -> None:
    found = {
        "count": 2,
        "tickets": [{"number": 1004, "subject": "x"}, {"number": 1009, "subject": "y"}],
    }
    decision = decide(
        conversation(
            "investigate every open billing ticket from today",
            ("search_tickets", {"status": "open"}, found),
        )
    )

    assert [(c.name, c.arguments) for c in decision.calls] == [
        ("start_investigations", {"ticket_numbers": [1004, 1009]})
    ]


def test_a_search_that_finds_nothing_starts_nothing_and_says_so() -> None:
    decision = decide(
        conversation(
            "investigate every open billing ticket from today",
            ("search_tickets", {}, {"count": 0, "tickets": []}),
        )
    )

    assert decision.calls == []
    assert decision.message == "No open billing tickets from today found, so I started nothing."


def test_more_matches_than_one_search_shows_are_not_started_blindly() -> None:
    page = {"count": 140, "tickets": [{"number": n} for n in range(1000, 1025)]}
    decision = decide(conversation("investigate all open tickets", ("search_tickets", {}, page)))

    assert decision.calls == []
    assert decision.message is not None and decision.message.startswith("140 open tickets match")


def test_the_answer_to_a_delegation_names_what_started_and_what_did_not_and_why() -> None:
    result = {
        "started": [{"task_id": 7, "ticket_number": 1004}],
        "already_running": [{"task_id": 3, "ticket_number": 1005}],
        "not_started": [{"ticket_number": 1012, "reason": "This ticket is closed."}],
    }
    decision = decide(
        conversation(
            "investigate #1004, #1005 and #1012",
            ("start_investigations", {"ticket_numbers": [1004, 1005, 1012]}, result),
        )
    )

    assert decision.message is not None
    assert "Started 1 investigation: #1004 (task 7)." in decision.message
    assert "Already being worked on: #1005 (task 3)." in decision.message
    assert "Not started: #1012: This ticket is closed." in decision.message


def test_a_refused_call_is_explained_with_the_tools_own_reason() -> None:
    refused = {"error": "That would start 30 investigations; one request may start at most 20."}
    decision = decide(
        conversation(
            "investigate #1 and #2", ("start_investigations", {"ticket_numbers": [1, 2]}, refused)
        )
    )

    assert decision.message == f"I could not do that: {refused['error']}"


def test_the_approvals_answer_gives_the_count_and_the_total_the_tool_returned() -> None:
    result = {
        "count": 2,
        "total_amount": "78.00",
        "currencies": ["USD"],
        "approvals": [
            {"summary": "Refund 49.00 USD on order A-1", "ticket_number": 1004, "task_id": 7},
            {"summary": "Refund 29.00 USD on order A-2", "ticket_number": 1005, "task_id": 8},
        ],
        "decide_at": "/admin/tasks/approvalrequest/?status__exact=pending",
    }
    decision = decide(
        conversation("how many refunds wait for approval?", ("list_pending_approvals", {}, result))
    )

    assert decision.message is not None
    assert decision.message.startswith("2 refund requests wait for approval, 78.00 USD in all.")
    assert "I cannot approve or reject" in decision.message
    assert "/admin/tasks/approvalrequest/" in decision.message


def test_a_task_update_is_summed_up_from_the_task_as_read() -> None:
    notice = "[Task update] Task 7 on #1004 completed."
    assert first_call(notice) == ("get_task", {"task_id": 7})
    task = {
        "task_id": 7,
        "ticket_number": 1004,
        "status": "completed",
        "final_output": "Refunded the duplicate charge of $49.00.",
    }
    decision = decide(conversation(notice, ("get_task", {"task_id": 7}, {"task": task})))

    assert decision.message == "Task 7 on #1004 completed. Refunded the duplicate charge of $49.00."


def test_help_and_unknown_requests_name_the_offline_copilot() -> None:
    for text in ("hello", "make me a sandwich"):
        decision = decide(conversation(text))
        assert decision.calls == []
        assert decision.message is not None and "offline copilot" in decision.message


def test_a_later_message_is_read_on_its_own() -> None:
    items = [
        *conversation("how many refunds wait for approval?"),
        {"role": "assistant", "content": "No refunds are waiting for approval."},
        {"role": "user", "content": "cancel the task on #1012"},
    ]

    decision = decide(items)

    assert [(c.name, c.arguments) for c in decision.calls] == [
        ("cancel_task", {"ticket_number": 1012})
    ]


def test_intents_keep_approvals_apart_from_refund_tickets() -> None:
    assert read_intent("investigate open refund tickets").kind == "investigate"
    assert read_intent("how much money waits for approval?").kind == "approvals"


def test_reply_drafts_are_counted_apart_from_refunds() -> None:
    result = {
        "count": 0,
        "total_amount": "0",
        "currencies": [],
        "approvals": [],
        "reply_drafts_waiting": 2,
        "decide_at": "/admin/tasks/approvalrequest/?status__exact=pending",
    }
    decision = decide(
        conversation("how many refunds wait for approval?", ("list_pending_approvals", {}, result))
    )
    assert decision.message == (
        "No refunds are waiting for approval. 2 reply drafts wait for review."
    )
