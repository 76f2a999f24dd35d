"""The copilot's database work has threads of its own (``tasks.runtime.db_threads``): a person
waiting for an answer never queues behind the agent runs' writes on the shared database
thread. The answering loop and the copilot's tools both use them."""

from __future__ import annotations

from tasks.runtime.db_threads import DatabasePool

db = DatabasePool("copilot", 2).run
