"""The race harness: many threads held at a barrier, then released at once.

``race_in_sessions`` gives each attempt its own app context and
database session (committed when the attempt returns, rolled back when it is refused);
``post_together`` sends real HTTP requests to a live server. Results keep the order of the
arguments, so a test can count what won and what was refused.
"""

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from core.extensions import db


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
    raised fails the test.
    """

    def run(arg, go):
        with app.app_context():
            go()
            try:
                outcome = attempt(arg)
                db.session.commit()
                return outcome
            except refused:
                db.session.rollback()
                return refused_as
            finally:
                db.session.remove()

    return _start_together(run, args, timeout)


def post_together(url: str, requests: Sequence[tuple[str, bytes]], *,
                  timeout: float = 60) -> list[tuple[int, dict]]:
    """POST each ``(bearer token, JSON body)`` to ``url`` at once; ``(status, answer)`` each."""

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

    return _start_together(run, requests, timeout)
