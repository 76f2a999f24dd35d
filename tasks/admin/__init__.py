"""Django admin for tickets, agent work, approvals, API tokens, copilot conversations,
evaluation runs, autonomy policies and reply reviews, and the business systems the agent acts
on (one module per concern)."""

from tasks.admin import approvals, autonomy, business, copilot, evals, tickets, tokens, work

__all__ = ["approvals", "autonomy", "business", "copilot", "evals", "tickets", "tokens", "work"]
