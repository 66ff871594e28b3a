"""The bulk recompute of customer figures against one full scan of the orders table.

    .venv/bin/python bench/crm_recompute.py [--customers 100000] [--orders 1000000]
        [--database-url postgresql://...] [--rounds 3] [--keep]

Without ``--database-url`` it creates a fresh PostgreSQL database next to
``TEST_PG_ADMIN_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``), builds
the schema and ``flask demo --customers N --orders M`` into it, and drops it at the end
(``--keep`` keeps it, and prints its URL for the next run). With ``--database-url`` it uses
that database as it is (seeding it only when it has no products).

It then measures, ``--rounds`` times each, interleaved: the floor (one full scan of the
orders table: ``SELECT sum(total_amount), max(created_at) FROM orders``), the job
(``crm.figures.recompute_figures``, committed) cold (after every customer's figures were
spoiled, so every row is rewritten) and steady (run again at once, as a daily run finds
little changed); it prints the best of each, the ratios to the floor and whether every
round of the job met the target of 10 seconds.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        from core.models import utcnow
        from crm.figures import recompute_figures

        flask(["db", "upgrade"], env)
        app = create_app()
        with app.app_context():
            empty = db.session.execute(sa.text("SELECT count(*) FROM products")).scalar() == 0
        if empty:
            print(f"seeding {args.customers} customers and {args.orders} orders ...", flush=True)
            flask(["demo", "--customers", str(args.customers), "--orders", str(args.orders),
                   "--seed", "7"], env)
        with app.app_context():
            counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in ("customers", "orders", "order_lines")}
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
            print(f"database: {db.engine.dialect.name}; " + ", ".join(
                f"{n} {t}" for t, n in counts.items()))
            floors, colds, steadies = [], [], []
            for _ in range(args.rounds):
                started = time.perf_counter()
                db.session.execute(sa.text(
                    "SELECT sum(total_amount), max(created_at) FROM orders")).one()
                db.session.commit()
                floors.append(time.perf_counter() - started)
                # cold: every customer's figures wrong, so every row is rewritten
                db.session.execute(sa.text(
                    "UPDATE customers SET orders_count = 0, frequency = 0, monetary_amount = 0, "
                    "r_score = NULL, f_score = NULL, m_score = NULL, rfm_segment = NULL"))
                db.session.commit()
                started = time.perf_counter()
                cold_summary = recompute_figures(utcnow())
                db.session.commit()
                colds.append(time.perf_counter() - started)
                # steady: the daily run, little has changed since the last one
                started = time.perf_counter()
                steady_summary = recompute_figures(utcnow())
                db.session.commit()
                steadies.append(time.perf_counter() - started)
            floor = min(floors)
            print(f"cold run: {cold_summary}; steady run: {steady_summary}")
            print(f"floor (one scan of orders):   {floor:7.3f} s   rounds: "
                  + " ".join(f"{t:.3f}" for t in floors))
            for label, times in (("recompute, cold (all rows)", colds),
                                 ("recompute, steady (daily)", steadies)):
                best = min(times)
                print(f"{label:28s}  {best:7.3f} s   rounds: "
                      + " ".join(f"{t:.3f}" for t in times)
                      + f"   ratio to floor: {best / floor:.1f}"
                      + f"   target {TARGET_SECONDS:.0f} s: "
                      + ("met" if max(times) < TARGET_SECONDS else "MISSED"))
            db.engine.dispose()
    finally:
        if drop is not None and not args.keep:
            drop()
        elif drop is not None:
            print(f"kept: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
