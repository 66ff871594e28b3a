"""A customer's figures after an order, out of the order's transaction.

Placing an order marks its buyer as due (``mark``: one INSERT into ``crm_figures_due``,
committed with the order, so no order is ever lost to the figures), and the figures are
recomputed after the commit: by the request that placed the order, once its response is
ready (``CRM_FIGURES_AFTER_REQUEST``, on by default), and by the job
``refresh_figures_due`` for whatever is left (a worker that stopped between the commit and
the refresh, or a shop that leaves it all to the job in a flash sale). Figures may lag by
the job's interval at most; the checkout never waits for them, nor holds a stock row while
they are computed.

With ``CRM_FIGURES_BATCH_SECONDS`` above 0 (the default, half a second) the request does
not refresh them itself: it hands its buyers to its process's refresher, a thread that
gathers every buyer of that long and refreshes them together in one transaction, so a
flash sale pays for one refresh per moment instead of one per order. 0 refreshes in the
request (the tests, which read the figures right after the answer).

Outside a request (a job, a command, the demo) the figures are refreshed at once, in the
caller's transaction, by the per-customer ``refresh_figures`` (which also takes the
membership's card, consent and profile details), as before.
"""

import os
import threading
import time
from functools import lru_cache

import sqlalchemy as sa
from flask import after_this_request, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.extensions import db
from core.models import Role, User
from core.sql import upsert, watch_direct_writes

from .figures import refresh_buyers
from .models import Customer, FiguresDue
from .services import ensure_customer, refresh_figures

#: the outbox's messages (the customer center's: read by table, not imported)
_OUTBOX = sa.table("outbox_messages", sa.column("user_id"), sa.column("customer_id"))
#: how many customers one run of the job refreshes at most
BATCH = 500
_MARKED = "crm_figures_marked"  # marked in the open transaction
_COMMITTED = "crm_figures_committed"  # marked and committed: the request refreshes them
_WROTE = "crm_figures_wrote"  # the transaction open now has written something


def mark(user_id: int) -> None:
    """The buyer's figures are due: refreshed after this transaction commits."""
    if not has_request_context():  # a job or a command: at once, the whole profile
        user = db.session.get(User, user_id)
        if user is not None and not user.is_staff_member:
            refresh_figures(ensure_customer(user))
        return
    # Re-armed by every order, never skipped: a refresh that read the mark before this
    # order commits leaves it (its ``since`` moved on), and the next one counts this order.
    upsert(FiguresDue, {"user_id": user_id, "since": utcnow()}, "user_id", later=True)
    if not current_app.config.get("CRM_FIGURES_AFTER_REQUEST", True):
        return
    info = db.session.info
    if not info.get(_MARKED) and not info.get(_COMMITTED):
        after_this_request(_refresh_after_request)
    info.setdefault(_MARKED, set()).add(user_id)


def refresh_due(user_ids: list[int] | None = None, *, limit: int = BATCH) -> int:
    """Recompute the figures of the customers due (of ``user_ids``, or the oldest
    ``limit``), then clear the marks read; how many.

    No mark is held while the figures are computed, so an order marking its buyer never
    waits for a refresh (in a flash sale, the figures of a shopper with many orders take a
    while). A mark an order re-armed after it was read (its ``since`` moved on) is not
    cleared: that order may have committed after the figures read the orders, so the next
    refresh counts it. Two runs reading the same mark at once both refresh its customer."""
    due = db.session.execute(_read_marks(user_ids is not None), {
        "users": list(user_ids or ()), "limit": limit}).all()
    if not due:
        return 0
    buyers = db.session.execute(_buyers(), {"users": [user_id for user_id, _ in due]}).all()
    made = [user_id for user_id, customer_id in buyers if customer_id is None]
    for user_id in made:  # a first order: the profile is made (or a prospect's taken)
        ensure_customer(db.session.get(User, user_id))
    if made:  # what was written for them before they had one (the order's confirmation)
        db.session.execute(
            sa.update(_OUTBOX).where(_OUTBOX.c.user_id.in_(made), _OUTBOX.c.customer_id.is_(None))
            .values(customer_id=sa.select(Customer.id).where(
                Customer.user_id == _OUTBOX.c.user_id).scalar_subquery()))
    user_ids = [user_id for user_id, _ in buyers]
    refresh_buyers(user_ids, utcnow())
    # last, so the marks are held only until the commit that follows
    db.session.execute(_clear_marks(), {"marks": [tuple(mark) for mark in due]})
    for obj in list(db.session.identity_map.values()):  # what the UPDATE wrote, read afresh
        if isinstance(obj, Customer) and obj.user_id in user_ids:
            db.session.expire(obj)
    return len(due)


@lru_cache(maxsize=2)
def _read_marks(named: bool) -> sa.Select:
    """The marks of the users named (or the oldest ``limit``), each with its ``since``
    (built once: it runs after every checkout)."""
    chosen = (sa.select(FiguresDue.user_id, FiguresDue.since).order_by(FiguresDue.since)
              .limit(sa.bindparam("limit", type_=sa.Integer())))
    if named:
        chosen = chosen.where(FiguresDue.user_id.in_(sa.bindparam("users", expanding=True)))
    return chosen


@lru_cache(maxsize=1)
def _clear_marks() -> sa.Delete:
    """Delete the marks read, those still as read (same user, same ``since``)."""
    return (sa.delete(FiguresDue)
            .where(sa.tuple_(FiguresDue.user_id, FiguresDue.since)
                   .in_(sa.bindparam("marks", expanding=True)))
            .execution_options(synchronize_session=False))


@lru_cache(maxsize=1)
def _buyers() -> sa.Select:
    """The shoppers among the users named, each with their profile's id (None: none yet)."""
    return (sa.select(User.id, Customer.id).outerjoin(Customer, Customer.user_id == User.id)
            .where(User.id.in_(sa.bindparam("users", expanding=True)),
                   User.role.not_in(Role.STAFF_MEMBERS)))


def refresh_figures_due(now) -> str:
    """Job: the figures of every customer still due (a batch at a time until none are)."""
    total = 0
    while True:
        done = refresh_due()
        total += done
        if done < BATCH:
            break
        db.session.commit()
    return f"{total} customer(s) refreshed"


def _refresh_after_request(response):
    """After the view: the buyers marked in a transaction that committed, handed to the
    worker's refresher or refreshed in a transaction of their own. Refreshed here only when
    the view left no work uncommitted (else the job takes them); a failure is logged, never
    shown to the shopper."""
    info = db.session.info
    user_ids = info.pop(_COMMITTED, None)
    info.pop(_MARKED, None)
    if not user_ids:
        return response
    delay = current_app.config.get("CRM_FIGURES_BATCH_SECONDS", 0)
    if delay > 0:
        app = current_app._get_current_object()
        refresher = app.extensions.get("crm_figures_refresher")
        if refresher is None:
            refresher = app.extensions.setdefault("crm_figures_refresher", _Refresher(app))
        refresher.take(user_ids, delay)
    elif not (info.get(_WROTE) or db.session.new or db.session.dirty or db.session.deleted):
        _refresh_now(sorted(user_ids))
    return response


def _refresh_now(user_ids: list[int]) -> None:
    """Refresh these buyers and commit; a failure is logged and leaves their marks for the
    job (never shown to the shopper)."""
    try:
        for start in range(0, len(user_ids), BATCH):
            refresh_due(user_ids[start:start + BATCH])
            db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("refreshing the figures after the order failed")


class _Refresher:
    """An app's buyers waiting for their figures, refreshed together by one thread.

    ``take`` adds buyers and wakes the thread, which waits ``delay`` seconds for more, then
    refreshes all it has in transactions of its own (``BATCH`` buyers each). Started on
    first use in each process (a forked worker starts its own). Buyers it has not refreshed
    when the process ends keep their marks: their next order's refresh or the job takes them.

    A refresh reads every order of its buyers, so in a long sale of returning buyers each
    one costs more than the last. The thread spends at most ``share`` of its time
    refreshing (``CRM_FIGURES_REFRESH_SHARE``): after a refresh that took ``t`` it gathers
    for ``t * (1 / share - 1)`` at least, so the figures lag more, by seconds, and the
    checkouts keep the cores.
    """

    def __init__(self, app, *, clock=time.monotonic, sleep=time.sleep):
        self._app = app
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._waiting: set[int] = set()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._took = 0.0  # how long the last refresh took

    def add(self, user_ids) -> None:
        """Buyers for the next refresh (``take`` also wakes the thread)."""
        with self._lock:
            self._waiting.update(user_ids)

    def take(self, user_ids, delay: float) -> None:
        self.add(user_ids)
        with self._lock:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, args=(delay,),
                                                name="crm-figures", daemon=True)
                self._thread.start()
        self._wake.set()

    def gather_for(self, delay: float) -> float:
        """How long to gather before the next refresh: ``delay``, or longer after a refresh
        that took long."""
        share = self._app.config.get("CRM_FIGURES_REFRESH_SHARE", 1.0)
        if not 0 < share < 1:
            return delay
        return max(delay, self._took * (1 / share - 1))

    def _run(self, delay: float) -> None:
        while True:
            self._wake.wait()
            self.refresh_once(delay)

    def refresh_once(self, delay: float) -> None:
        """Gather, then refresh the buyers gathered (one turn of the thread)."""
        self._sleep(self.gather_for(delay))  # gather the buyers of this moment
        self._wake.clear()
        with self._lock:
            user_ids, self._waiting = self._waiting, set()
        if user_ids:
            started = self._clock()
            with self._app.app_context():
                _refresh_now(sorted(user_ids))
            self._took = self._clock() - started


@event.listens_for(Session, "after_flush")
def _flushed(session, _flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state):
    if not state.is_select:
        state.session.info[_WROTE] = True


@watch_direct_writes
def _wrote(session, _table, _columns):
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session):
    session.info.pop(_WROTE, None)
    marked = session.info.pop(_MARKED, None)
    if marked:
        session.info.setdefault(_COMMITTED, set()).update(marked)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction):
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_WROTE, None)
        session.info.pop(_MARKED, None)
