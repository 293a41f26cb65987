"""Make a real race happen on purpose: another connection holds an uncommitted row until this
test's own request is blocked behind it, then commits.

The request under test passes its "does it exist?" check (the row is not committed yet),
reaches its INSERT, waits on the unique index and fails when the other transaction commits:
the path a concurrent duplicate takes in production. Needs `transactional_db`.
"""

import threading
import time
from contextlib import contextmanager

from django.db import connection, connections, transaction


def _blocked_lock_waits() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # activity stats are cached per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE NOT l.granted AND a.datname = current_database()"
        )
        return cursor.fetchone()[0]


@contextmanager
def row_committed_while_blocked(create_row, *, timeout: float = 15.0):
    """Run `create_row()` in another connection's open transaction; commit it only once some
    other session waits on a lock (the code under test, run inside the `with` block)."""
    inserted, errors = threading.Event(), []
    waited = {"blocked": False}

    def holder():
        try:
            with transaction.atomic():
                create_row()
                inserted.set()
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    if _blocked_lock_waits():
                        waited["blocked"] = True
                        break
                    time.sleep(0.02)
        except Exception as exc:  # surfaced to the test below
            errors.append(exc)
            inserted.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    inserted.wait(timeout)
    try:
        yield waited
    finally:
        thread.join(timeout)
    assert not errors, errors
    assert waited["blocked"], "the code under test never waited on the uncommitted row"
