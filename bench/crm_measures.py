"""The dashboard's outcome measures and a campaign's uplift against one full scan of orders.

    .venv/bin/python bench/crm_measures.py [--customers 100000] [--orders 1000000]
        [--database-url postgresql://...] [--rounds 3] [--keep]

The database is made and seeded as ``bench/crm_recompute.py`` does (``flask demo``, which
also seeds a year of monthly snapshots and two finished campaigns). It then times, best of
``--rounds``, each beside the floor (``SELECT sum(total_amount), max(created_at) FROM
orders``): the snapshot job (``snapshots.take_snapshot``, committed), the measure job
(``measures.store_months``, committed: the whole year from nothing, and a run that
refreshes the open months only), what the dashboard reads (``measure_views.measure_tables``,
all together and each family through one of its tables), and ``uplift.outcome`` of each
demo campaign; with the statements each issues.
"""

import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crm_recompute import run_seeded  # noqa: E402


def measure(db, app, rounds: int) -> None:
    from core.clock import utcnow
    from crm.customers import snapshots
    from crm.outreach import uplift
    from crm.outreach.models import Campaign
    from crm.reports import measures
    from crm.reports.measure_views import measure_table, measure_tables
    from crm.reports.models import MeasureMonth
    from tests.support.queries import count_statements

    counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
              for t in ("customers", "orders", "segment_snapshots", "followups", "complaints")}
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    print("database: " + ", ".join(f"{n} {t}" for t, n in counts.items()), flush=True)
    campaigns = db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().all()
    jobs = {
        "floor (one scan of orders)": lambda: db.session.execute(
            sa.text("SELECT sum(total_amount), max(created_at) FROM orders")).one(),
        "snapshot job (committed)": lambda: (snapshots.take_snapshot(utcnow()),
                                             db.session.commit()),
        "measure job, whole year (committed)": lambda: (
            db.session.execute(sa.delete(MeasureMonth)), measures.store_months(utcnow()),
            db.session.commit()),
        "measure job, open months (committed)": lambda: (measures.store_months(utcnow()),
                                                         db.session.commit()),
        **{f"read: {name}": (lambda name=name: measure_table(name))
           for name in ("profile-rate", "satisfaction", "return-rate", "complaint-sla",
                        "segment-moves")},
        "read: all measure tables": measure_tables,
        **{f"uplift: {c.name}": (lambda c=c: uplift.outcome(c, utcnow())) for c in campaigns},
    }
    runs = {label: [] for label in jobs}
    statements = {}
    with app.test_request_context():
        for _ in range(rounds):
            for label, job in jobs.items():
                with count_statements() as seen:
                    started = time.perf_counter()
                    job()
                    runs[label].append(time.perf_counter() - started)
                statements[label] = len(seen)
                db.session.rollback()
    floor = min(runs["floor (one scan of orders)"])
    for label, times in runs.items():
        best = min(times)
        print(f"{label:40s} {best:8.3f} s   ratio to floor {best / floor:6.1f}   "
              f"statements {statements[label]:3d}   rounds: "
              + " ".join(f"{t:.3f}" for t in times), flush=True)


def main() -> int:
    return run_seeded(__doc__, measure)


if __name__ == "__main__":
    sys.exit(main())
