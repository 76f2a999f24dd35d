"""SQLite writers of one process queue on a lock (config/sqlite): a second writer waits for the
first transaction to end instead of sleeping in SQLite's busy handler, and the lock is given
back however a transaction ends (commit, rollback, a connection closed mid-transaction)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from config.sqlite import base as sqlite_base
from tasks.runtime.write_queue import write_queue

pytestmark = pytest.mark.django_db(transaction=True)


def _free() -> bool:
    return not write_queue.busy


def test_the_configured_sqlite_backend_is_the_queued_one() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert isinstance(connections["default"], sqlite_base.DatabaseWrapper)


def test_a_transaction_holds_the_write_lock_until_it_commits_or_rolls_back() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with transaction.atomic():
        assert not _free()
    assert _free()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert not _free()
        raise RuntimeError("rolled back")
    assert _free()


def _file_connection(path: str) -> sqlite_base.DatabaseWrapper:
    """A connection of the queued backend on a SQLite file (the test database is in memory)."""
    settings_dict = {
        **connections["default"].settings_dict,
        "NAME": path,
        "OPTIONS": {"timeout": 5, "transaction_mode": "IMMEDIATE"},
    }
    return sqlite_base.DatabaseWrapper(settings_dict, alias=f"writer-{threading.get_ident()}")


def test_a_second_writer_waits_for_the_first_and_then_goes(tmp_path) -> None:
    path = str(tmp_path / "writers.sqlite3")
    setup = _file_connection(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE log (who TEXT)")
    setup.close()
    inside = threading.Event()
    go_on = threading.Event()

    def write(who: str, *, hold: bool) -> None:
        db = _file_connection(path)
        if not hold:
            inside.wait(5)
        with _atomic(db):
            if hold:
                inside.set()
                go_on.wait(5)
            with db.cursor() as cursor:
                cursor.execute("INSERT INTO log VALUES (%s)", [who])
        db.close()

    first = threading.Thread(target=write, args=("first",), kwargs={"hold": True})
    second = threading.Thread(target=write, args=("second",), kwargs={"hold": False})
    first.start()
    second.start()
    inside.wait(5)
    assert not _free()  # the first writer holds it; the second waits on the lock
    go_on.set()
    first.join(10)
    second.join(10)

    check = _file_connection(path)
    with check.cursor() as cursor:
        cursor.execute("SELECT who FROM log ORDER BY rowid")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]
    check.close()
    assert _free()


class _atomic:
    """A transaction on a connection outside ``connections`` (BEGIN ... COMMIT by hand)."""

    def __init__(self, db: sqlite_base.DatabaseWrapper) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.ensure_connection()
        self.db._start_transaction_under_autocommit()

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.db._commit()
        else:
            self.db._rollback()


def test_a_persons_write_goes_before_background_writes_waiting_at_the_same_time() -> None:
    from tasks.runtime.write_queue import WriteQueue

    queue = WriteQueue()
    assert queue.acquire(timeout=1, interactive=False)  # a group commit under way
    order: list[str] = []

    def take(who: str, interactive: bool) -> None:
        assert queue.acquire(timeout=5, interactive=interactive)
        order.append(who)
        queue.release()

    background = threading.Thread(target=take, args=("background", False))
    background.start()
    person = threading.Thread(target=take, args=("person", True))
    person.start()
    deadline = threading.Event()
    while queue._people == 0 and not deadline.wait(0.01):
        pass
    queue.release()
    background.join(5)
    person.join(5)

    assert order == ["person", "background"]


def test_a_background_write_is_not_held_back_past_its_timeout() -> None:
    from tasks.runtime.write_queue import WriteQueue

    queue = WriteQueue()
    queue._people = 1  # a person's write that never comes

    assert not queue.acquire(timeout=0.05, interactive=False)
    queue._people = 0
    assert queue.acquire(timeout=0.05, interactive=False)
