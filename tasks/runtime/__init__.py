"""The agent worker: claims queued tasks, runs them with the Agents SDK and records events."""
