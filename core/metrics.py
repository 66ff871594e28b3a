"""What an operator reads at ``/metrics`` (Prometheus' text format), and who may read it.

Under gunicorn every worker is a process of its own: ``gunicorn.conf.py`` gives them one
``PROMETHEUS_MULTIPROC_DIR`` (set before any worker imports ``prometheus_client``), each
worker writes its figures there, and ``/metrics`` sums them over the workers (the client's
multiprocess mode). Without that folder (tests, ``flask run``) the figures are the process's.

- ``shop_http_requests_total{method, endpoint, status}`` and
  ``shop_http_request_seconds{method, endpoint}`` (a histogram): every request, by the
  route's endpoint name (never its path, which may name an order or a code);
- ``shop_orders_placed_total{payment_method}``, ``shop_payments_total{event}`` and
  ``shop_payments_amount_fen_total{event}`` (``paid`` online, ``refunded``): counted when
  the change commits, never for one rolled back;
- ``shop_jobs_total{job, outcome}`` (``ok`` or ``failed``) and ``shop_job_seconds{job}``;
- ``shop_outbox_messages_total{outcome}`` (``sent``, ``failed``, ``retrying``, ...).

Jobs run in the Celery workers: each worker serves its own figures at
``WORKER_METRICS_BIND`` (``host:port``), summed over its pool's processes the same way.

Only clients in ``METRICS_ALLOW`` (addresses or networks, comma-separated; default the
loopback) may read it; the client's address is ProxyFix's, so behind ``PROXY_HOPS`` proxies
it is the real client's.
"""

import ipaddress
import os

from flask import Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

from .signals import order_paid, order_placed, order_refunded

HTTP_REQUESTS = Counter("shop_http_requests", "HTTP requests answered",
                        ["method", "endpoint", "status"])
HTTP_SECONDS = Histogram("shop_http_request_seconds", "Time to answer a request",
                         ["method", "endpoint"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ORDERS_PLACED = Counter("shop_orders_placed", "Orders placed (stock reserved)",
                        ["payment_method"])
PAYMENTS = Counter("shop_payments", "Online payments and refunds", ["event"])
PAYMENTS_AMOUNT = Counter("shop_payments_amount_fen", "Money paid online and refunded (fen)",
                          ["event"])
JOBS = Counter("shop_jobs", "Jobs run", ["job", "outcome"])
JOB_SECONDS = Histogram("shop_job_seconds", "Time a job took", ["job"],
                        buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900))
OUTBOX = Counter("shop_outbox_messages", "Outbox deliveries by what became of them",
                 ["outcome"])

_PENDING = "shop_metrics_pending"
#: the folder the workers write to, as it was when the client was loaded (the client
#: chooses its way of counting then; a folder named later does not change it)
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def count_on_commit(session: Session, counter, labels: dict, amount: float = 1) -> None:
    """Count ``amount`` on ``counter`` once ``session``'s transaction commits."""
    session.info.setdefault(_PENDING, []).append((counter, labels, amount))


@event.listens_for(Session, "after_commit")
def _count_committed(session):
    for counter, labels, amount in session.info.pop(_PENDING, ()):
        counter.labels(**labels).inc(amount)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session, previous_transaction):
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)


def _session_of(obj) -> Session | None:
    return Session.object_session(obj)


def _on_order_placed(order, **_kwargs):
    session = _session_of(order)
    if session is not None:
        count_on_commit(session, ORDERS_PLACED,
                        {"payment_method": str(getattr(order, "payment_method", "") or "none")})


def _on_order_paid(order, **_kwargs):
    session = _session_of(order)
    if session is not None:
        count_on_commit(session, PAYMENTS, {"event": "paid"})
        count_on_commit(session, PAYMENTS_AMOUNT, {"event": "paid"},
                        getattr(order, "total_amount", 0) or 0)


def _on_order_refunded(order, amount=0, **_kwargs):
    session = _session_of(order)
    if session is not None:
        count_on_commit(session, PAYMENTS, {"event": "refunded"})
        count_on_commit(session, PAYMENTS_AMOUNT, {"event": "refunded"}, amount or 0)


order_placed.connect(_on_order_placed, weak=False)
order_paid.connect(_on_order_paid, weak=False)
order_refunded.connect(_on_order_refunded, weak=False)


def record_job(name: str, seconds: float, failed: bool) -> None:
    JOBS.labels(job=name, outcome="failed" if failed else "ok").inc()
    JOB_SECONDS.labels(job=name).observe(seconds)


def record_outbox(outcome: str) -> None:
    OUTBOX.labels(outcome=outcome).inc()


def record_request(method: str, endpoint: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method=method, endpoint=endpoint, status=str(status)).inc()
    HTTP_SECONDS.labels(method=method, endpoint=endpoint).observe(seconds)


def allowed_networks(value: str | None) -> list:
    """``METRICS_ALLOW`` read: ``"127.0.0.1, 10.0.0.0/8"`` -> networks (bad entries refused)."""
    networks = []
    for item in (value or "").split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"METRICS_ALLOW: {item!r} is not an address or a network")\
                    from None
    return networks


def client_allowed(address: str | None, networks) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def registry():
    """What is read out: every worker's figures summed when they share a folder."""
    if MULTIPROC_DIR and os.path.isdir(MULTIPROC_DIR):
        summed = CollectorRegistry()
        multiprocess.MultiProcessCollector(summed, path=MULTIPROC_DIR)
        return summed
    return REGISTRY


def exposition() -> bytes:
    """The figures in Prometheus' text format, summed over the workers when several."""
    return generate_latest(registry())


def serve_worker_metrics(bind: str) -> None:
    """A Celery worker's figures (jobs, outbox) at ``http://<bind>/metrics``; ``bind`` is
    ``host:port`` (``WORKER_METRICS_BIND``), an address only the monitoring network reaches."""
    host, _, port = bind.rpartition(":")
    start_http_server(int(port), addr=host or "127.0.0.1", registry=registry())


def register_metrics(app: Flask) -> None:
    networks = allowed_networks(app.config.get("METRICS_ALLOW"))
    app.extensions["shop_metrics_allow"] = networks

    @app.route("/metrics")
    def metrics():
        if not client_allowed(request.remote_addr,
                              current_app.extensions["shop_metrics_allow"]):
            abort(403)
        return Response(exposition(), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                        headers={"Cache-Control": "no-store"})

