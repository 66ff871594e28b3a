"""The CRM's bulk jobs against one full scan of the orders table.

    .venv/bin/python bench/crm_recompute.py [--customers 100000] [--orders 1000000]
        [--database-url postgresql://...] [--rounds 3] [--keep]

Without ``--database-url`` it creates a fresh PostgreSQL database next to
``TEST_PG_ADMIN_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``), builds
the schema and ``flask demo --customers N --orders M`` into it, and drops it at the end
(``--keep`` keeps it, and prints its URL for the next run). With ``--database-url`` it uses
that database as it is (migrating it, and seeding it only when it has no products).

It then measures, ``--rounds`` times each, interleaved, and prints the best of each beside
the floor (one full scan of the orders table:
``SELECT sum(total_amount), max(created_at) FROM orders``) with the ratio:

- figure recompute (``crm.customers.figures.recompute_figures``, committed): cold (every customer's
  figures spoiled first, so every row is rewritten) and steady (run again at once, as a
  daily run finds little changed); the target is 10 seconds;
- tag rules (``crm.customers.tagging.apply_tag_rules``, committed): cold (every rule tag deleted
  first, so every one is written again) and steady;
- follow-up rules (``crm.followups.rules.run_rules``): a first run, committed, plans what
  the data set calls for; then cold (the open follow-ups and waiting messages the rules
  plan are deleted first, the job plans them all again, and the transaction is rolled
  back) and steady (committed, nothing new to plan).
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 10.0


def flask(args: list[str], env: dict) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                   check=True)


def run_sql(db, statements: str) -> None:
    for statement in statements.split(";"):
        db.session.execute(sa.text(statement))


def timed(db, job, now, *, before: str | None = None, keep: bool = True):
    """Seconds ``job(now)`` takes (with its commit when ``keep``; rolled back otherwise),
    after ``before`` (SQL run in the same transaction, not timed). Returns (seconds, summary)."""
    if before:
        run_sql(db, before)
    started = time.perf_counter()
    summary = job(now)
    if keep:
        db.session.commit()
    else:
        db.session.flush()
    seconds = time.perf_counter() - started
    if not keep:
        db.session.rollback()
    return seconds, summary


#: what a cold run starts from: the rows each job writes, taken away first
SPOIL_FIGURES = ("UPDATE customers SET orders_count = 0, frequency = 0, monetary_amount = 0, "
                 "r_score = NULL, f_score = NULL, m_score = NULL, rfm_segment = NULL")
SPOIL_TAGS = "DELETE FROM customer_tags WHERE source = 'rule'"
SPOIL_FOLLOWUPS = (
    "DELETE FROM followups WHERE status = 'open' AND kind IN "
    "('satisfaction', 'welcome', 'winback', 'reorder', 'birthday', 'baby_birthday');"
    "DELETE FROM outbox_messages WHERE status = 'pending' AND kind IN "
    "('satisfaction', 'welcome', 'winback', 'reorder', 'birthday', 'baby_birthday')")


def measure(db, rounds: int) -> None:
    from core.clock import utcnow
    from crm.customers.figures import recompute_figures
    from crm.customers.tagging import apply_tag_rules
    from crm.followups.rules import run_rules

    counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
              for t in ("customers", "orders", "order_lines", "fulfillments")}
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    autovacuum = db.session.execute(sa.text("SHOW autovacuum")).scalar()
    print(f"database: {db.engine.dialect.name}; " + ", ".join(
        f"{n} {t}" for t, n in counts.items()) + f"; autovacuum {autovacuum}", flush=True)
    first, first_summary = timed(db, run_rules, utcnow())
    print(f"follow-up rules, first run (committed): {first:.3f} s: {first_summary}", flush=True)
    runs = {label: [] for label in (
        "floor", "recompute, cold", "recompute, steady", "tag rules, cold", "tag rules, steady",
        "follow-up rules, cold", "follow-up rules, steady")}
    summaries = {}
    for _ in range(rounds):
        started = time.perf_counter()
        db.session.execute(sa.text("SELECT sum(total_amount), max(created_at) FROM orders")).one()
        db.session.commit()
        runs["floor"].append(time.perf_counter() - started)
        for label, job, spoil, keep in (
                ("recompute, cold", recompute_figures, SPOIL_FIGURES, True),
                ("recompute, steady", recompute_figures, None, True),
                ("tag rules, cold", apply_tag_rules, SPOIL_TAGS, True),
                ("tag rules, steady", apply_tag_rules, None, True),
                ("follow-up rules, cold", run_rules, SPOIL_FOLLOWUPS, False),
                ("follow-up rules, steady", run_rules, None, True)):
            if spoil and keep:  # committed first, so the job's own commit is all it times
                run_sql(db, spoil)
                db.session.commit()
                spoil = None
            seconds, summaries[label] = timed(db, job, utcnow(), before=spoil, keep=keep)
            runs[label].append(seconds)
            print(f"  {label}: {seconds:.3f} s ({summaries[label]})", flush=True)
    floor = min(runs.pop("floor"))
    print(f"{'floor (one scan of orders)':26s} {floor:7.3f} s")
    for label, times in runs.items():
        best = min(times)
        target = ""
        if label.startswith("recompute"):
            target = (f"   target {TARGET_SECONDS:.0f} s: "
                      + ("met" if max(times) < TARGET_SECONDS else "MISSED"))
        print(f"{label:26s} {best:7.3f} s   ratio to floor {best / floor:6.1f}   rounds: "
              + " ".join(f"{t:.3f}" for t in times) + target)


def main() -> int:
    return run_seeded(__doc__, lambda db, app, rounds: measure(db, rounds))


def run_seeded(doc: str, measure_in) -> int:
    """Parse the CRM benches' options, make (or take, ``--database-url``) a PostgreSQL
    database seeded by ``flask demo``, and run ``measure_in(db, app, rounds)`` in the app;
    the database is dropped after unless ``--keep``. Shared by bench/crm_measures.py."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    admin_url = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url, drop = args.database_url, None
    if url is None:
        name = f"crm_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = admin_url.rsplit("/", 1)[0] + "/" + name

        def drop():
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    env = dict(os.environ, DATABASE_URL=url,
               SHOP_INSTANCE_PATH=os.environ.get("SHOP_INSTANCE_PATH", "/tmp/crm-bench-instance"))
    os.environ.update(env)
    try:
        from core.app import create_app
        from core.extensions import db

        flask(["db", "upgrade"], env)
        app = create_app()
        with app.app_context():
            empty = db.session.execute(sa.text("SELECT count(*) FROM products")).scalar() == 0
        if empty:
            print(f"seeding {args.customers} customers and {args.orders} orders ...", flush=True)
            started = time.perf_counter()
            flask(["demo", "--customers", str(args.customers), "--orders", str(args.orders),
                   "--seed", "7"], env)
            print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        with app.app_context():
            measure_in(db, app, args.rounds)
            db.engine.dispose()
    finally:
        if drop is not None and not args.keep:
            drop()
        elif drop is not None:
            print(f"kept: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
