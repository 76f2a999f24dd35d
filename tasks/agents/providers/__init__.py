"""Model providers for the agents: the offline rule-based model (the default with no key) and
OpenAI or any OpenAI-compatible server, chosen from settings in ``provider``.

Importing the package switches SDK trace export off when there is no OpenAI key, so no run
(offline model included) tries to export traces without one."""

from tasks.agents.providers.tracing import configure_tracing

configure_tracing()
