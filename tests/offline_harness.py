"""Drives the offline model's decisions against synthetic tool results, without the SDK or a
database: each turn's calls are answered by plain functions and appended to the conversation
as the SDK would (function_call then function_call_output items)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tasks.agents.providers.offline.engine import decide
from tasks.agents.providers.offline.types import Decision

Responder = Callable[[dict[str, Any]], Any]
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)


def iso(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def ticket_text(
    *,
    number: int = 1001,
    category: str = "billing",
    subject: str = "Charged twice",
    body: str = "I was charged twice this month.",
    customer: str = "Hannah Whitfield <hannah@example.com> (customer id 7)",
) -> str:
    return (
        f"Ticket #{number} (category: {category}, priority: high, status: new)\n"
        f"Customer: {customer}\nSubject: {subject}\n----\n{body}"
    )


def order(number: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "number": number,
        "kind": "one_off",
        "description": "Widget",
        "amount": "49.00",
        "currency": "USD",
        "status": "delivered",
        "billing_period": "",
        "charged_at": iso(10),
        "shipped_at": None,
        "expected_delivery": None,
        "delivered_at": None,
        "refunded_amount": "0.00",
        "refundable_amount": kw.get("amount", "49.00"),
    }
    return {**base, **kw}


REFUND_RULES = {
    "refund_window_days": 30,
    "max_refund_amount": "150.00",
    "refundable_statuses": ["paid", "shipped", "delivered", "partially_refunded"],
}


@dataclass
class FakeSupport:
    """Answers every support tool from in-memory data, recording the calls it received."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    customer: dict[str, Any] | None = field(
        default_factory=lambda: {
            "id": 7,
            "name": "Hannah Whitfield",
            "email": "h@example.com",
            "username": "hannah",
            "plan": "pro",
        }
    )
    thread_dates: list[str] = field(default_factory=lambda: [iso(0.5)])
    rules: dict[str, Any] = field(default_factory=lambda: dict(REFUND_RULES))
    policies: list[dict[str, Any]] = field(default_factory=list)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refund_result: Any = None
    overrides: dict[str, Responder] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    todo_count: int = 0

    def answer(self, name: str, args: dict[str, Any]) -> Any:
        self.calls.append((name, args))
        if name in self.overrides:
            return self.overrides[name](args)
        if name == "add_todos":
            first = self.todo_count + 1
            self.todo_count += len(args["texts"])
            return {
                "todos": [
                    {"id": first + i, "position": first + i, "text": t, "status": "pending"}
                    for i, t in enumerate(args["texts"])
                ]
            }
        if name == "set_todo_status":
            return {"todo": {"id": args["todo_id"], "status": args["status"]}}
        if name == "lookup_customer":
            if self.customer is None:
                return {"error": "This task has no customer."}
            return {"customer": self.customer, "recent_orders": self.orders}
        if name == "get_order":
            found = [o for o in self.orders if o["number"] == args["order_number"].upper()]
            if not found:
                return {
                    "error": "No order with that number belongs to this customer.",
                    "field": "order_number",
                }
            return {"order": found[0]}
        if name == "get_ticket_thread":
            return {
                "ticket": {"number": 1001},
                "messages": [
                    {"author": "customer", "internal": False, "body": "", "created_at": d}
                    for d in self.thread_dates
                ],
            }
        if name == "get_runbook":
            return {
                "runbook": {
                    "slug": f"runbook-{args['category']}",
                    "title": "Runbook",
                    "body": "Offer the 1-year hardware warranty.",
                    "version": 1,
                }
            }
        if name == "read_document":
            if args["slug"] in self.documents:
                return {"article": self.documents[args["slug"]]}
            if args["slug"] == "refund-policy":
                return {
                    "article": {
                        "slug": "refund-policy",
                        "kind": "policy",
                        "title": "Refund",
                        "body": "...",
                        "version": 1,
                        "rules": self.rules,
                    }
                }
            if args["slug"] in self.documents:
                return {"article": self.documents[args["slug"]]}
            return {"error": "No knowledge-base article with that slug.", "field": "slug"}
        if name == "search_policies":
            return {"policies": self.policies}
        if name == "search_knowledge_base":
            return {"articles": self.search_hits(str(args.get("kind") or ""))}
        if name == "search_tickets":
            return {"tickets": []}
        if name == "issue_refund":
            if self.refund_result is not None:
                return self.refund_result
            return {
                "refund": {
                    "id": 1,
                    "order_number": args["order_number"],
                    "amount": args["amount"],
                    "order_status": "refunded",
                }
            }
        if name == "write_document":
            return {"document": {"slug": "bug-report", "title": args["title"], "version": 1}}
        if name in {"reply_to_customer", "add_internal_note"}:
            return {"message": {"id": len(self.calls), "created_at": iso(0)}}
        if name == "set_ticket_status":
            return {"ticket": {"number": 1001, "status": args["status"]}}
        return {"error": f"unknown tool {name}"}

    def search_hits(self, kind: str = "") -> list[dict[str, Any]]:
        """Knowledge-base hits: every policy and document (not ranked: the model must pick)."""
        hits = [
            {
                "slug": article.get("slug"),
                "kind": article.get("kind", default_kind),
                "title": article.get("title"),
                "excerpt": str(article.get("excerpt") or article.get("body") or "")[:300],
            }
            for default_kind, articles in (
                ("policy", self.policies),
                ("document", list(self.documents.values())),
            )
            for article in articles
        ]
        unique = list({hit["slug"]: hit for hit in hits}.values())
        return [hit for hit in unique if not kind or hit["kind"] == kind]

    def called(self, name: str) -> list[dict[str, Any]]:
        return [args for called, args in self.calls if called == name]


@dataclass
class Conversation:
    items: list[dict[str, Any]]
    decisions: list[Decision] = field(default_factory=list)

    @property
    def final(self) -> str:
        return self.decisions[-1].message or ""


def run_offline(
    text: str | list[dict[str, Any]],
    support: FakeSupport,
    *,
    max_turns: int = 20,
    stop_at: str | None = None,
    raw_outputs: dict[str, str] | None = None,
) -> Conversation:
    """Runs decide() to a final message (or until it calls ``stop_at``, left unanswered the way
    an approval pause leaves it). ``raw_outputs`` answers a tool with a raw string instead."""
    items = [{"role": "user", "content": text}] if isinstance(text, str) else list(text)
    convo = Conversation(items)
    for _ in range(max_turns):
        decision = decide(items)
        convo.decisions.append(decision)
        if decision.message is not None or not decision.calls:
            items.append(
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": decision.message or ""}],
                }
            )
            return convo
        for index, call in enumerate(decision.calls):
            call_id = f"call_{len(items)}_{index}"
            items.append(
                {
                    "type": "function_call",
                    "call_id": call_id,
                    "name": call.name,
                    "arguments": json.dumps(call.arguments),
                }
            )
        paused = False
        for item in [i for i in items if i.get("type") == "function_call"][-len(decision.calls) :]:
            args = json.loads(item["arguments"])
            if item["name"] == stop_at:
                paused = True
                support.calls.append((item["name"], args))
                continue
            if raw_outputs and item["name"] in raw_outputs:
                output = raw_outputs[item["name"]]
                support.calls.append((item["name"], args))
            else:
                output = json.dumps(support.answer(item["name"], args))
            items.append(
                {"type": "function_call_output", "call_id": item["call_id"], "output": output}
            )
        if paused:
            return convo
    raise AssertionError("the offline model did not finish")


def answer_pending(convo: Conversation, output: str) -> list[dict[str, Any]]:
    """The conversation after a paused call is answered with ``output`` (approval or reject)."""
    answered = {i["call_id"] for i in convo.items if i.get("type") == "function_call_output"}
    pending = [
        i for i in convo.items if i.get("type") == "function_call" and i["call_id"] not in answered
    ]
    return [
        *convo.items,
        *(
            {"type": "function_call_output", "call_id": p["call_id"], "output": output}
            for p in pending
        ),
    ]


def with_demo_knowledge(support: FakeSupport) -> FakeSupport:
    """Answers the knowledge tools from the demo's own runbooks, policies and documents, in the
    shapes the real tools return (search results carry 300-character excerpts), so a reply can
    only state what the real knowledge base says."""
    from tasks.demo.articles import ARTICLES
    from tools_app.agent_tools.serializers import excerpt

    articles = {
        spec.slug: {
            "slug": spec.slug,
            "kind": spec.kind,
            "title": spec.title,
            "body": spec.body,
            "version": 1,
            "rules": spec.rules or {},
        }
        for spec in ARTICLES
    }
    runbooks = {spec.category: articles[spec.slug] for spec in ARTICLES if spec.kind == "runbook"}
    policies = [
        {"slug": a["slug"], "title": a["title"], "excerpt": excerpt(a["body"]), "rules": a["rules"]}
        for a in articles.values()
        if a["kind"] == "policy"
    ]
    support.rules = dict(articles["refund-policy"]["rules"])
    support.policies = policies
    support.documents = {slug: a for slug, a in articles.items() if a["kind"] != "runbook"}
    support.overrides["get_runbook"] = lambda args: (
        {"runbook": runbooks[args["category"]]}
        if args["category"] in runbooks
        else {"error": "No runbook for that category.", "field": "category"}
    )
    return support
