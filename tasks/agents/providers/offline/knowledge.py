"""What the offline model takes from the knowledge base: which search to run, which article
answers the customer, and which of its sentences can be quoted to them.

How-to questions, bug reports, "other" tickets and free-text requests are answered from the
knowledge base (``search_knowledge_base``, then ``read_document`` of the best match). A bug report
that matches a known-issue document gets that document's workaround and fix status. Sentences
meant for staff ("add affected customers ... in an internal note") are never quoted to a
customer, and the model's own bug write-ups (which hold another customer's report verbatim) are
never an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tasks.agents.providers.offline.facts import Facts, keywords, relevance
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import PlannedCall

Purpose = Literal["answer", "known_issue"]

SEARCH_TOOL = "search_knowledge_base"
FALLBACK_SEARCH_TOOL = "search_policies"
# What the model titles its own bug write-ups (categories/bug_report.py).
OWN_WRITEUP_PREFIX = "Bug report: "
# Below this many shared word stems a search hit is not an answer to the question.
MIN_RELEVANCE = 4
# A subject with fewer meaningful words than this is padded with words from the body.
QUERY_MIN_WORDS = 3
QUERY_MAX_WORDS = 8
MAX_POINTS = 6

KNOWN_ISSUE = re.compile(r"known[\s-]+issue", re.IGNORECASE)
ISSUE_ID = re.compile(r"\b[A-Z]{2,}-\d+\b")
STAFF_ONLY = re.compile(
    r"\binternal(?:ly)?\b|\binternal note\b|\bescalat\w*|\bon-?call\b|\bapprover\b", re.IGNORECASE
)
WORKAROUND = re.compile(r"\bworkarounds?\b|\bin the meantime\b|\binstead\b", re.IGNORECASE)
WORKAROUND_LABEL = re.compile(r"^workarounds?\s*[:\-\u2013]\s*", re.IGNORECASE)
FIX = re.compile(r"\bfix(?:ed|es)?\b|\bresolved\b|\bpatch\w*", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
QUERY_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]{2,}")
QUERY_STOPWORDS = frozenset(
    "about also and are can can't could does for from have how into just need our please"
    " should that the their them they this what when where which who why will with would"
    " you your hello thanks thank regards".split()
)


def search_call(has: Callable[[str], bool], query: str, kind: str = "") -> PlannedCall:
    """``search_knowledge_base``; ``search_policies`` for an agent that lacks it."""
    if has(SEARCH_TOOL) or not has(FALLBACK_SEARCH_TOOL):
        return PlannedCall(SEARCH_TOOL, {"query": query, "kind": kind})
    return PlannedCall(FALLBACK_SEARCH_TOOL, {"query": query})


def _query_words(text: str) -> list[str]:
    words: list[str] = []
    for word in QUERY_WORD.findall(text):
        if word.lower() not in QUERY_STOPWORDS and word.lower() not in {w.lower() for w in words}:
            words.append(word)
    return words


def ticket_query(ticket: TicketHeader) -> str:
    """What a person would type into the search box: the subject's words, with words from the
    body when the subject says too little ("Help!")."""
    words = _query_words(ticket.subject)
    if len(words) < QUERY_MIN_WORDS:
        known = {w.lower() for w in words}
        words += [w for w in _query_words(ticket.body) if w.lower() not in known]
    return " ".join(words[:QUERY_MAX_WORDS]) or ticket.category.replace("_", " ")


def is_known_issue(article: dict[str, Any]) -> bool:
    return article.get("kind") == "document" and bool(
        KNOWN_ISSUE.search(f"{article.get('title', '')} {article.get('slug', '')}")
    )


def _fits(article: dict[str, Any], purpose: Purpose) -> bool:
    if str(article.get("title", "")).startswith(OWN_WRITEUP_PREFIX):
        return False
    if purpose == "known_issue":
        return is_known_issue(article)
    # A customer's answer comes from guides and policies: runbooks are staff procedures and a
    # known issue answers a bug report, not a question.
    return article.get("kind") != "runbook" and not is_known_issue(article)


def best_article(facts: Facts, purpose: Purpose = "answer") -> dict[str, Any] | None:
    """The article read or found that best answers the customer's text, if any does. A read
    article (full body) wins over the same article's search excerpt."""
    seen: set[str] = set()
    candidates: list[dict[str, Any]] = []
    for article in [*facts.documents, *facts.articles, *facts.policies]:
        slug = str(article.get("slug", ""))
        if slug in seen or not _fits(article, purpose):
            continue
        seen.add(slug)
        candidates.append(article)
    asked = keywords(facts.customer_text)
    scored = [
        (relevance(facts.customer_text, a), i, a)
        for i, a in enumerate(candidates)
        # The title must share a word with the question: body words alone match too easily.
        if asked & keywords(str(a.get("title", "")))
    ]
    scored = [s for s in scored if s[0] >= MIN_RELEVANCE]
    return max(scored, key=lambda s: (s[0], -s[1]))[2] if scored else None


def sentences(article: dict[str, Any]) -> list[str]:
    """The article's sentences a customer may read (staff-only ones left out)."""
    text = " ".join(str(article.get("body") or article.get("excerpt") or "").split())
    return [s for s in SENTENCE_END.split(text) if s and not STAFF_ONLY.search(s)]


def answer_points(article: dict[str, Any], question: str) -> list[str]:
    """The sentences of ``article`` that speak to ``question``, in the article's order (its
    first sentences when none shares a word with the question)."""
    asked = keywords(question)
    quotable = sentences(article)
    relevant = [s for s in quotable if asked & keywords(s)]
    return (relevant or quotable[:3])[:MAX_POINTS]


@dataclass(frozen=True)
class KnownIssue:
    """A known-issue document, split into what a customer is told."""

    slug: str
    title: str
    issue_id: str
    what: list[str]
    workaround: list[str]
    fix: list[str]

    @classmethod
    def read(cls, article: dict[str, Any]) -> KnownIssue:
        what: list[str] = []
        workaround: list[str] = []
        fix: list[str] = []
        for sentence in sentences(article):
            if WORKAROUND.search(sentence):
                workaround.append(WORKAROUND_LABEL.sub("", sentence))
            elif FIX.search(sentence):
                fix.append(sentence)
            else:
                what.append(sentence)
        title = str(article.get("title", ""))
        found = ISSUE_ID.search(f"{title} {article.get('body', '')}")
        return cls(
            slug=str(article.get("slug", "")),
            title=title,
            issue_id=found.group(0) if found else str(article.get("slug", "")),
            what=what,
            workaround=workaround,
            fix=fix,
        )
