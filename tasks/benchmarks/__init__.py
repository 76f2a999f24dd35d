"""Benchmark harnesses behind ``manage.py bench`` (``runtime``: the agent runtime against the
bare SDK), ``bench_scale`` (``scale``: worker processes on PostgreSQL + Redis) and
``bench_ws`` (``ws_clients``, ``ws_servers``: websocket fan-out). They print figures; no test
asserts a timing."""
