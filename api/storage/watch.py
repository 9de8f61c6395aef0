"""Waiting for the change log to move: one watcher per process, fanning out to every waiter.

Long-polls (`/v1/changes?wait=`) and the webhook delivery process wait here until the head
passes a seq they have seen. One watcher thread per process learns when the head moves, and
wakes every waiter at once through a `threading.Condition`:

* PostgreSQL: every write that logs a change sends ``NOTIFY newswire_changes`` inside its
  transaction (`changelog.log`), which PostgreSQL delivers on commit to every listening
  connection, on any instance; the watcher holds one LISTEN connection and reads the head when
  told. It also reads the head at least once a second, and at the next scheduled instant.
* SQLite: one process's writes cannot signal another's, so the watcher reads the head every
  `poll_interval` seconds (one indexed query) while anyone waits.

Reading the head through `head()` (Store.head) announces scheduled articles whose instant has
come, so waiters wake at that instant too. Under gunicorn's gevent worker the thread, the
condition and psycopg's wait are cooperative (gevent patches threading; psycopg notices the
patching), so a waiter holds a greenlet, not a worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from api.storage.changelog import CHANNEL, Head

log = logging.getLogger(__name__)


class HeadWatch:
    """Wakes waiters when the head of the change log moves past what they have seen."""

    def __init__(
        self,
        head: Callable[[], Head],
        listen_url: str | None = None,
        poll_interval: float = 0.15,
        recheck: float = 1.0,
    ):
        self.head = head  # reads the head, announcing due articles
        self.listen_url = listen_url  # a libpq URL on PostgreSQL; None polls (SQLite)
        self.poll_interval = poll_interval
        self.recheck = recheck  # seconds between head reads when no NOTIFY comes
        self.changed = threading.Condition()
        self.wanted = threading.Event()  # set while anyone waits
        self.latest = Head(-1, None)  # the newest head read; seq -1 before the first read
        self.waiters = 0
        self.thread: threading.Thread | None = None
        self.stopped = False

    def wait_past(self, since: int, timeout: float) -> Head | None:
        """Block until the head passes `since` (and return it), or for `timeout` seconds
        (None)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            self._start()
            self.waiters += 1
            self.wanted.set()
            try:
                while self.latest.seq <= since:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self.stopped:
                        return None
                    self.changed.wait(remaining)
                return self.latest
            finally:
                self.waiters -= 1
                if not self.waiters:
                    self.wanted.clear()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()
        self.wanted.set()
        if self.thread is not None and self.thread.is_alive():
            if self.listen_url:  # wake the LISTEN connection, which waits for a notification
                try:
                    with psycopg.connect(self.listen_url, autocommit=True) as connection:
                        connection.execute(f"NOTIFY {CHANNEL}")
                except psycopg.Error:
                    pass
            self.thread.join(timeout=5)

    def _start(self) -> None:
        """Start the watcher on first use (so in each worker, after gunicorn forks)."""
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="head-watch", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        connection = None
        while not self.stopped:
            try:
                if not self.wanted.wait(1.0):
                    continue  # nobody waits: no reads
                if connection is None and self.listen_url:
                    connection = listen(self.listen_url)
                self._refresh()
                if connection is not None:
                    # wakes on the first NOTIFY, or after `recheck`, or at the next instant
                    for _ in connection.notifies(timeout=self._until_next_read(), stop_after=1):
                        pass
                else:
                    time.sleep(min(self.poll_interval, self._until_next_read()))
            except Exception:  # a lost connection or database: poll until it is back
                log.exception("watching the change log failed; retrying in a second")
                if connection is not None:
                    connection.close()
                    connection = None
                time.sleep(1.0)
        if connection is not None:
            connection.close()

    def _until_next_read(self) -> float:
        wait = self.recheck if self.listen_url else self.poll_interval
        if self.latest.next_due is not None:
            due_in = (self.latest.next_due - datetime.now(UTC)).total_seconds()
            wait = min(wait, max(0.0, due_in))
        return max(0.01, wait)

    def _refresh(self) -> None:
        head = self.head()
        with self.changed:
            moved = head.seq != self.latest.seq
            self.latest = head
            if moved:
                self.changed.notify_all()


def listen(url: str) -> psycopg.Connection:
    """A connection of its own that LISTENs on the changes channel."""
    connection = psycopg.connect(url, autocommit=True)
    connection.execute(f"LISTEN {CHANNEL}")
    return connection
