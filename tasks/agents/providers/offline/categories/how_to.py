"""How-to questions, answered from the knowledge base: the guide or policy that best matches
the question is read in full and the sentences that answer it are quoted; with no such
article, a person answers."""

from __future__ import annotations

from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.facts import Facts, plural
from tasks.agents.providers.offline.knowledge import (
    Purpose,
    answer_points,
    best_article,
    search_call,
    ticket_query,
)
from tasks.agents.providers.offline.letters import letter
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    return [search_call(has, ticket_query(ticket))]


def research(facts: Facts) -> Purpose | None:
    return "answer"


def analyze(facts: Facts) -> Findings:
    article = best_article(facts, "answer")
    if article is None:
        return Findings("how_to_unknown", "Nothing in the knowledge base answers this question.")
    return Findings(
        "how_to",
        f"'{article.get('title')}' answers the question: quote the parts that answer it.",
        data={"article": article},
    )


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    if findings.kind == "how_to_unknown":
        text = (
            "Thanks for your question. I couldn't find a guide that covers this exactly, so I've"
            " passed it to a colleague who knows this area well; they'll reply shortly."
        )
        return Wrapup(
            letter(facts, text),
            "No knowledge-base article answers this; needs a person.",
            "open",
            "no article found; left open",
        )
    article = findings.data["article"]
    points = answer_points(article, facts.customer_text)
    steps = "\n".join(f"{i}. {point}" for i, point in enumerate(points, 1))
    source = (
        f'our policy "{article.get("title")}" says'
        if article.get("kind") == "policy"
        else f'how, from our guide "{article.get("title")}"'
    )
    text = f"Here's {source}:\n\n{steps}"
    return Wrapup(
        letter(facts, text, "If anything is unclear, just reply and I'll help further."),
        f"Answered from '{article.get('slug', article.get('title'))}'"
        f" ({plural(len(points), 'point')} quoted).",
        "solved",
        f"answered from '{article.get('title')}'; solved",
    )


CATEGORY = Category(
    name="how_to",
    specialist="technical",
    plan=(
        LOOKUP,
        ("policy", "Search the knowledge base for the answer"),
        ("investigate", "Read the guide that answers the question"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
    research=research,
)
