"""Django admin for tickets, agent work, approvals, API tokens, copilot conversations,
evaluation runs and the business systems the agent acts on (one module per concern)."""

from tasks.admin import approvals, business, copilot, evals, tickets, tokens, work

__all__ = ["approvals", "business", "copilot", "evals", "tickets", "tokens", "work"]
