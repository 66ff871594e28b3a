"""The race harness: many threads held at a barrier, then released at once.

``race_in_sessions`` gives each attempt its own app context and
database session (committed when the attempt returns, rolled back when it is refused);
``post_together`` sends real HTTP requests to a live server. Results keep the order of the
arguments, so a test can count what won and what was refused.

Both prove that they raced: each records when every attempt was under way, and fails the
test (``RanInTurn``) when no two of them were ever under way at the same time, since a race
test whose attempts ran one after the other proves nothing. On PostgreSQL that is two
transactions open at once: each attempt opens its transaction first thing, and the first
two wait (a few seconds at most) for each other's to be open, so a pool or a lock that
lets one transaction open at a time shows up as a failure rather than as luck. SQLite
takes its write lock at BEGIN, so there an attempt is under way from the start, while it
waits for the lock another holds; the first two wait for each other there too, so a busy
machine that wakes the second thread late does not make them run in turn.
"""

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask import request_started, request_tearing_down

from core.extensions import db

#: how long an attempt whose transaction is open waits for a second one to open beside it
OPEN_TOGETHER_WAIT = 10


class RanInTurn(AssertionError):
    """The attempts of a race test never overlapped."""


def overlapped(spans: Sequence[tuple[float, float]]) -> bool:
    """Whether two of the (start, end) spans were ever open at the same time."""
    ordered = sorted(spans)
    return any(later[0] < earlier[1] for earlier, later in zip(ordered, ordered[1:], strict=False))


def _start_together(run: Callable, args: Sequence, timeout: float) -> list:
    """``run(arg, go)`` in a thread per arg; each calls ``go()`` once it is ready to race."""
    barrier = threading.Barrier(len(args))

    def go():
        barrier.wait(timeout=timeout)

    with ThreadPoolExecutor(len(args)) as pool:
        return list(pool.map(lambda arg: run(arg, go), args))


def race_in_sessions(app, attempt: Callable, args: Sequence, *,
                     refused: type[Exception] | tuple[type[Exception], ...],
                     refused_as: str, timeout: float = 60) -> list:
    """Race ``attempt(arg)`` in one app context and database session each; their outcomes.

    An attempt that returns is committed and its return value is its outcome; one that
    raises ``refused`` is rolled back and its outcome is ``refused_as``. Anything else
    raised fails the test, and so do attempts that never overlapped (``RanInTurn``).
    """
    spans: list[tuple[float, float]] = []
    opened, counted = [0], threading.Condition()

    def run(arg, go):
        with app.app_context():
            go()
            if db.session.get_bind().dialect.name == "postgresql":
                db.session.execute(sa.text("SELECT 1"))  # the transaction is open from here
            # Under way from here (on SQLite an attempt then waits at BEGIN for the write
            # lock another holds); the first two wait for each other (a moment, not forever),
            # so a thread the machine wakes late still overlaps.
            started = time.monotonic()
            with counted:
                opened[0] += 1
                counted.notify_all()
                counted.wait_for(lambda: opened[0] >= 2, timeout=OPEN_TOGETHER_WAIT)
            try:
                outcome = attempt(arg)
                db.session.commit()
                return outcome
            except refused:
                db.session.rollback()
                return refused_as
            finally:
                spans.append((started, time.monotonic()))
                db.session.remove()

    outcomes = _start_together(run, args, timeout)
    if len(args) > 1 and not overlapped(spans):
        raise RanInTurn(f"the {len(args)} attempts ran one after the other: nothing raced")
    return outcomes


def post_together(url: str, requests: Sequence[tuple[str, bytes]], *, app,
                  timeout: float = 60) -> list[tuple[int, dict]]:
    """POST each ``(bearer token, JSON body)`` to ``url`` at once; ``(status, answer)`` each.

    ``app`` is the live server's application: the requests it was handling are recorded,
    and the test fails (``RanInTurn``) when it never handled two of them at once (requests
    waiting in a queue while the server takes one at a time overlap only on the client).
    """
    spans: list[tuple[float, float]] = []
    begun: dict[int, float] = {}

    def started(sender, **extra):
        begun[threading.get_ident()] = time.monotonic()

    def finished(sender, **extra):
        start = begun.pop(threading.get_ident(), None)
        if start is not None:
            spans.append((start, time.monotonic()))

    def run(request, go):
        token, body = request
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        go()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    with request_started.connected_to(started, app), \
            request_tearing_down.connected_to(finished, app):
        answers = _start_together(run, requests, timeout)
    if len(requests) > 1 and not overlapped(spans):
        raise RanInTurn(f"the server handled the {len(requests)} requests one after the other")
    return answers
