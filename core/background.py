"""Work that must not hold up an answer: sent by one thread of each worker process, in turn.

A message an answer must not wait for (a reset link goes only to an account that exists:
sent inside the request, its time would tell a stranger which addresses have one) is handed
to ``after_answer``, which queues it for the app's sender thread and returns at once. The
thread runs each task in an app context of its own; a task that fails is logged, never told
to the person. A worker that stops sends what is queued first (up to ``DRAIN_SECONDS``).
"""

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable

from flask import current_app

from .messaging import DeliveryError

log = logging.getLogger(__name__)

#: how long a stopping worker may spend sending what is still queued
DRAIN_SECONDS = 5.0


def after_answer(task: Callable[[], object], what: str) -> None:
    """Run ``task`` (built in the request: its text is written, its links made) after the
    answer, in the worker's sender thread; at once when ``SEND_AFTER_ANSWER`` is off (the
    tests, a shell). ``what`` names it in the log if it fails."""
    app = current_app._get_current_object()
    if not app.config.get("SEND_AFTER_ANSWER", True):
        _run(task, what)
        return
    sender = app.extensions.get("after_answer_sender")
    if sender is None:
        sender = app.extensions.setdefault("after_answer_sender", _Sender(app))
    sender.put(task, what)


def _run(task: Callable[[], object], what: str) -> None:
    # logged by kind only: a provider's message may quote the number or address
    try:
        task()
    except DeliveryError:  # a transport down, a provider refusing: the answer was given
        log.warning("%s could not be sent", what)
    except Exception as err:
        log.error("%s could not be sent: %s", what, type(err).__name__)


class _Sender:
    """One app's queue of tasks and the thread that runs them, started on first use in each
    process (a forked worker starts its own)."""

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def put(self, task: Callable[[], object], what: str) -> None:
        with self._lock:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                if self._pid != os.getpid():
                    self._queue = queue.Queue()  # a fork's copy holds the parent's, not ours
                    atexit.register(self.drain)
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._loop, name="after-answer",
                                                daemon=True)
                self._thread.start()
        self._queue.put((task, what))

    def _loop(self) -> None:
        while True:
            task, what = self._queue.get()
            try:
                with self._app.app_context():
                    _run(task, what)
            finally:
                self._queue.task_done()

    def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Wait until every task queued so far has run (at most ``timeout`` seconds); True if
        none is left."""
        done = threading.Event()

        def wait():
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)


def drain(app, timeout: float = DRAIN_SECONDS) -> bool:
    """Wait for ``app``'s queued tasks in this process (True if none is left, or none was
    ever queued)."""
    sender = app.extensions.get("after_answer_sender")
    return True if sender is None else sender.drain(timeout)
