"""Jobs that run when due: each a function ``fn(now) -> str`` (what it did), idempotent.

Modules register theirs from the composition root; ``flask jobs run-due`` (cron) runs
them all, each committed on its own, so one failing job does not undo another.
"""

import time
from collections.abc import Callable
from datetime import datetime

from flask import current_app

from .extensions import db
from .metrics import record_job
from .privacy import redact_database_values

JobFn = Callable[[datetime], str]


def register_job(app, name: str, fn: JobFn) -> None:
    app.extensions.setdefault("shop_jobs", {})[name] = fn


def run_job(name: str, now: datetime) -> str:
    """Run one registered job as of ``now`` and commit; a failure is rolled back and
    reported in the summary (so a Celery task and the CLI behave alike)."""
    fn = current_app.extensions["shop_jobs"][name]
    started = time.perf_counter()
    try:
        summary = fn(now)
        db.session.commit()
    except Exception as exc:  # one job's failure must not stop the others
        db.session.rollback()
        current_app.logger.exception("job %s failed", name)
        summary = f"failed: {redact_database_values(str(exc))}"
        record_job(name, time.perf_counter() - started, failed=True)
        return summary
    record_job(name, time.perf_counter() - started, failed=False)
    return summary


def run_due(now: datetime) -> list[tuple[str, str]]:
    """Run every registered job as of ``now``; returns ``(name, summary)`` pairs."""
    return [(name, run_job(name, now)) for name in current_app.extensions.get("shop_jobs", {})]
