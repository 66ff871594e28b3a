"""The jobs as Celery tasks, when ``CELERY_BROKER_URL`` is set: the very functions
``flask jobs run-due`` runs, each a task ``shop.jobs.<name>``, with a beat schedule.

    celery -A wsgi:celery worker -B      # one machine: worker and scheduler
    celery -A wsgi:celery worker         # more machines: more workers (one beat only)

With ``WORKER_METRICS_BIND`` (``host:port``) a worker serves its jobs' figures for
Prometheus there (with ``PROMETHEUS_MULTIPROC_DIR`` summed over its pool's processes).
"""

from datetime import datetime, timedelta

from celery import Celery
from celery.signals import worker_ready

from .clock import utcnow
from .jobs import run_job
from .metrics import serve_worker_metrics


def make_celery(app) -> Celery:
    """A Celery app whose tasks run the registered jobs inside ``app``'s context."""
    celery = Celery(app.import_name, broker=app.config["CELERY_BROKER_URL"],
                    backend=app.config.get("CELERY_RESULT_BACKEND")
                    or app.config["CELERY_BROKER_URL"])
    queue = app.config.get("CELERY_QUEUE", "shop")
    celery.conf.update(task_default_queue=queue, timezone="UTC", enable_utc=True,
                       broker_connection_retry_on_startup=True, task_acks_late=True,
                       result_expires=3600)
    schedule = {}
    for name in app.extensions.get("shop_jobs", {}):
        _register(celery, app, name)
        every = app.config["JOB_SCHEDULE_SECONDS"].get(
            name, app.config["JOB_SCHEDULE_SECONDS"]["default"])
        schedule[name] = {"task": f"shop.jobs.{name}", "schedule": timedelta(seconds=every)}
    celery.conf.beat_schedule = schedule
    app.extensions["celery"] = celery
    bind = app.config.get("WORKER_METRICS_BIND")
    if bind:  # the worker's figures for Prometheus, once it is up
        worker_ready.connect(lambda **_kwargs: serve_worker_metrics(bind), weak=False)
    return celery


def _register(celery: Celery, app, name: str) -> None:
    @celery.task(name=f"shop.jobs.{name}")
    def job(now: str | None = None) -> str:
        """Run the job as of ``now`` (ISO 8601; default: the moment it runs)."""
        moment = datetime.fromisoformat(now) if now else utcnow()
        with app.app_context():
            return run_job(name, moment)
