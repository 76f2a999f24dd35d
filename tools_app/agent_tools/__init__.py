"""Agent tools over the business systems (customers and orders, the knowledge base): thin
async adapters over ``tools_app``'s services and selectors, the ``support_tool`` decorator that
every tool of the agent uses (``base``), and the run context tools receive (``context``).
Nothing here imports ``tasks``: the agent's full tool list is ``tasks.agents.tools``."""
