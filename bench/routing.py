"""Time of one delivery routing decision over 500 centers and 2,000 districts.

    .venv/bin/python bench/routing.py [--rounds 300] [--database-url URL]

Builds a network of 500 delivery centers (each serving four of 2,000 districts, a third of
them with a delivery radius and zones), three products stocked everywhere (the third kept in
lots at half the centers, part of them past the sell-by margin), and some open orders
(up to five per center, which the workload step counts), in a fresh SQLite database in a
temporary folder (or the empty database at ``--database-url``). Then it times
``fulfillment.routing.decide_delivery`` for random addresses (half found by district, half
by coordinates only) and, as the reference measured in the same run, one indexed query
(the districts index looked up for one place). It prints the median and 95th percentile of
each and their ratio; the target is a decision under 5 ms.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from core.app import create_app  # noqa: E402
from core.extensions import db  # noqa: E402

CENTERS, DISTRICTS = 500, 2000


def seed(rng: random.Random) -> list[tuple[str, str, str, float, float]]:
    from datetime import date, timedelta

    from core.models import User
    from fulfillment.models import Center, CenterDistrict, DeliveryZone, Fulfillment, Lot, Stock
    from storefront.models import Category, Order, Product

    category = Category(slug="bench", name_zh="基准")
    products = [Product(sku=f"B-{i}", slug=f"b-{i}", name_zh=f"商品{i}", price_amount=10000,
                        category=category) for i in range(3)]
    db.session.add_all(products)
    places = [(f"省{i // 200}", f"市{i // 20}", f"区{i}", 22 + (i % 50) * 0.3,
               105 + (i // 50) * 0.5) for i in range(DISTRICTS)]
    for n in range(CENTERS):
        served = places[n * 4:(n + 1) * 4]
        _p, _c, _d, lat, lng = served[0]
        center = Center(code=f"B{n:03d}", name_zh=f"中心{n}", is_delivery=True, province=_p,
                        city=_c, district=_d, address_zh="地址", lat=lat + 0.01, lng=lng + 0.01,
                        radius_km=8.0 if n % 3 == 0 else None)
        center.districts = [CenterDistrict(province=p, city=c, district=d)
                            for p, c, d, _la, _ln in served]
        if n % 3 == 0:
            zone = DeliveryZone(center=center, name="近", fee_amount=800, radius_km=5.0)
            center.districts[0].zone = zone
        db.session.add(center)
    db.session.flush()
    center_ids = db.session.execute(sa.select(Center.id)).scalars().all()
    stock = [{"center_id": cid, "product_id": p.id, "on_hand": rng.randint(0, 30), "reserved": 0}
             for cid in center_ids for p in products]
    db.session.execute(Stock.__table__.insert(), stock)
    today = date.today()
    lots = []
    for row in stock:
        if row["product_id"] == products[2].id and row["center_id"] % 2 and row["on_hand"]:
            stale = rng.randint(0, row["on_hand"])
            for n, (quantity, days) in enumerate(((stale, 5), (row["on_hand"] - stale, 300))):
                if quantity:
                    lots.append({"center_id": row["center_id"], "product_id": row["product_id"],
                                 "batch": f"L{n}", "expires_on": today + timedelta(days=days),
                                 "received_quantity": quantity, "on_hand": quantity,
                                 "reserved": 0})
    db.session.execute(Lot.__table__.insert(), lots)
    shopper = User(email="bench@example.com", password_hash="-", name="基准")
    db.session.add(shopper)
    db.session.flush()
    open_orders = [(cid, n) for cid in center_ids for n in range(rng.randint(0, 5))]
    db.session.execute(Order.__table__.insert(), [
        {"public_id": f"bench-{cid}-{n}", "number": f"B{cid}-{n}", "user_id": shopper.id,
         "status": "confirmed", "subtotal_amount": 10000, "total_amount": 10000,
         "payment_method": "cash_on_delivery", "fulfillment_method": "delivery",
         "center_id": cid} for cid, n in open_orders])
    order_ids = dict(db.session.execute(sa.select(Order.public_id, Order.id)).all())
    db.session.execute(Fulfillment.__table__.insert(), [
        {"order_id": order_ids[f"bench-{cid}-{n}"], "center_id": cid, "method": "delivery",
         "status": "reserved" if n % 2 else "ready"} for cid, n in open_orders])
    db.session.commit()
    return places


def timed(fn, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-routing-")
    url = args.database_url or f"sqlite:///{folder}/shop.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder,
                      "SECRET_KEY": "bench", "CACHE_TYPE": "SimpleCache"})
    rng = random.Random(42)
    with app.app_context():
        upgrade()
        places = seed(rng)
        from fulfillment.models import Fulfillment

        opened = db.session.execute(
            sa.select(sa.func.count()).select_from(Fulfillment)).scalar_one()
        from fulfillment.errors import InsufficientStock, NoCenterServesAddress
        from fulfillment.models import CenterDistrict
        from fulfillment.routing import decide_delivery

        product_ids = [1, 2, 3]

        def decide():
            p, c, d, lat, lng = rng.choice(places)
            address = {"province": p, "city": c, "district": d, "lat": lat, "lng": lng}
            if rng.random() < 0.5:
                address["district"] = "别处"  # found by coordinates only
            try:
                decide_delivery(address, [(rng.choice(product_ids), 1)])
            except (InsufficientStock, NoCenterServesAddress):
                pass  # a clear refusal is a decision too
            db.session.rollback()

        def reference():
            p, c, d, _lat, _lng = rng.choice(places)
            db.session.execute(sa.select(CenterDistrict.center_id).where(
                CenterDistrict.province == p, CenterDistrict.city == c,
                CenterDistrict.district == d)).all()
            db.session.rollback()

        timed(decide, 30)
        timed(reference, 30)
        decisions = timed(decide, args.rounds)
        queries = timed(reference, args.rounds)
    dm, dp = statistics.median(decisions), statistics.quantiles(decisions, n=20)[-1]
    qm, qp = statistics.median(queries), statistics.quantiles(queries, n=20)[-1]
    print(f"network: {CENTERS} delivery centers, {DISTRICTS} districts, {opened} open orders, "
          f"{url.split(':')[0]}")
    print(f"routing decision   median {dm:7.3f} ms   p95 {dp:7.3f} ms")
    print(f"one indexed query  median {qm:7.3f} ms   p95 {qp:7.3f} ms")
    print(f"ratio (decision / query, medians): {dm / qm:.1f}x   target: decision < 5 ms "
          f"({'met' if dp < 5 else 'NOT met'} at p95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
