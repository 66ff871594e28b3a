"""Statements and time of one counter sale, by its number of lines.

    .venv/bin/python bench/counter_sale.py [--rounds 20] [--history 200] [--database-url URL]

Builds a store with 16 products, each kept in three lots (the sale takes from the one
expiring first and, for the larger quantities, the next), a clerk and a VIP member, in a
fresh SQLite database in a temporary folder (or the empty database at ``--database-url``).
The member is at the top tier (a sale that lifts a tier writes one row more, once).
Then, for tickets of 1, 2, 4, 8 and 16 lines (two units each, cash with change, the member
identified), it counts the SQL statements of ``storefront.counter.sales.sell_at_counter``
(in-process, as ``tests.support.queries.count_statements`` does) and times it; after
``--history`` more sales it counts again. A sale is fixed in the number of its lines when
the statements are ``a + b x lines`` for the same a and b before and after the history.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from itertools import pairwise

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade  # noqa: E402

from core.app import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from tests.support.queries import count_statements  # noqa: E402

PRODUCTS, SIZES = 16, (1, 2, 4, 8, 16)


def seed():
    from core.models import Role, User
    from fulfillment.lots import receive_lot
    from fulfillment.models import Center
    from storefront.loyalty.membership import sign_up_member
    from storefront.models import Category, Product

    store = Center(code="BENCH", name_zh="基准店", is_pickup=True, province="上海市",
                   city="上海市", district="静安区", address_zh="地址", lat=31.2, lng=121.4)
    category = Category(slug="bench", name_zh="基准")
    products = [Product(sku=f"B-{i:02d}", slug=f"b-{i}", name_zh=f"商品{i}", price_amount=10000,
                        member_price_amount=9000, category=category) for i in range(PRODUCTS)]
    db.session.add_all([store, *products])
    db.session.flush()
    clerk = User(email="clerk@bench.test", password_hash="-", name="店员", role=Role.STAFF,
                 center_id=store.id)
    shopper = User(email="member@bench.test", password_hash="-", name="会员")
    db.session.add_all([clerk, shopper])
    db.session.flush()
    today = date.today()
    for product in products:
        for n, days in enumerate((60, 200, 400)):
            receive_lot(store.id, product.id, batch=f"L{n}", quantity=1000,
                        expires_on=today + timedelta(days=days), actor=clerk)
    # at the top tier already: a sale that lifts the tier writes one row more, once
    sign_up_member(shopper, name="会员", phone="13800000009",
                   birthday=date(1990, 5, 1)).tier = "diamond"
    db.session.commit()
    return store.id, clerk.id, shopper.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--history", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-counter-")
    url = args.database_url or f"sqlite:///{folder}/shop.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder,
                      "SECRET_KEY": "bench", "CACHE_TYPE": "SimpleCache"})
    with app.test_request_context(), app.app_context():
        upgrade()
        store_id, clerk_id, member_id = seed()
        from core.models import User
        from fulfillment.models import Center
        from storefront.counter.sales import sell_at_counter

        def sell(lines: int, member: bool = True):
            store, clerk = db.session.get(Center, store_id), db.session.get(User, clerk_id)
            buyer = db.session.get(User, member_id) if member else None
            price = 9000 if member else 10000
            sell_at_counter(store, clerk, [{"sku": f"B-{i:02d}", "quantity": 2}
                                           for i in range(lines)], member=buyer,
                            payments=[{"method": "cash", "tendered": lines * 2 * price + 5000}])
            db.session.commit()

        def measure(label: str) -> dict[int, int]:
            counts = {}
            for n in SIZES:
                db.session.expire_all()
                with count_statements() as statements:
                    sell(n)
                counts[n] = len(statements)
            slope = [(counts[b] - counts[a]) / (b - a) for a, b in pairwise(SIZES)]
            base = counts[1] - slope[0]
            print(f"{label:<22}" + "  ".join(f"{n:>2} lines: {counts[n]:>4}" for n in SIZES))
            print(f"{'':<22}per line: {', '.join(f'{s:g}' for s in slope)}   "
                  f"fixed part: {base:g}")
            return counts

        sell(1)  # warm the app: the first sale loads what every later one finds ready
        before = measure("statements (new shop)")
        for i in range(args.history):
            sell(1 + i % 4, member=bool(i % 2))
        after = measure(f"after {args.history} sales")
        times = {}
        for n in (1, 8):
            samples = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                sell(n)
                samples.append((time.perf_counter() - started) * 1000)
            times[n] = statistics.median(samples)
    print(f"time per sale (median of {args.rounds}, {url.split(':')[0]}): "
          + ", ".join(f"{n} line(s) {t:.1f} ms" for n, t in times.items()))
    same = before == after
    step = after[2] - after[1]
    linear = all(after[b] - after[a] == step * (b - a) for a, b in pairwise(SIZES))
    print(f"fixed in the number of lines: {'yes' if same and linear else 'NO'} "
          f"(same counts before and after the history: {same}; one slope: {linear})")
    return 0 if same and linear else 1


if __name__ == "__main__":
    sys.exit(main())
