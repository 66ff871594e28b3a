"""``flask demo`` seeds a shop whose rows keep every rule the services keep."""

import re
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import Role, User
from crm.customers.models import Customer
from crm.followups.models import FollowUp, FollowUpStatus
from fulfillment.models import (
    Center,
    DeliveryZone,
    Fulfillment,
    FulfillmentLine,
    FulfillmentStatus,
    Slot,
    Stock,
)
from storefront.accounts import authenticate
from storefront.loyalty.models import Membership
from storefront.models import Category, Order, OrderLine, OrderStatus, Product
from storefront.orders import place_order
from tests.conftest import make_app
from tests.support.figures import assert_figures_as_refreshed

ROOT = Path(__file__).resolve().parents[2]
LOGIN = re.compile(r"^\s*(?P<label>.+?)\s+(?P<email>\S+@\S+)\s+password: (?P<password>\S+)",
                   re.MULTILINE)


@pytest.fixture(scope="module")
def app(backend, migrated_database, tmp_path_factory):
    """This module's shop: ``flask demo`` seeded once per backend into a database of its own
    (the tests only read it, or write inside their rolled-back transaction)."""
    url, drop = migrated_database(backend)
    application = make_app(url, tmp_path_factory.mktemp("demo-instance"))
    with application.app_context():
        result = application.test_cli_runner().invoke(
            args=["demo", "--customers", "20", "--seed", "7"])
        assert result.exit_code == 0, result.output
        db.engine.dispose()
    application.config["DEMO_OUTPUT"] = result.output
    yield application
    with application.app_context():
        db.engine.dispose()
    drop()


@pytest.fixture()
def demo(app, session):
    session.expire_all()
    return app.config["DEMO_OUTPUT"]


def _all(session, query):
    return list(session.execute(query).scalars())


def test_catalog_has_three_kinds_priced_in_fen(demo, session):
    products = _all(session, sa.select(Product))
    assert len(products) >= 12
    by_category = defaultdict(list)
    for p in products:
        by_category[p.category.slug].append(p)
        assert p.currency == "CNY" and p.name_zh and p.name_en
        assert p.description_zh and p.description_en
        assert p.image.startswith("static/img/products/") and p.image.endswith(".svg")
        assert (ROOT / p.image).is_file(), p.image
        if p.member_price_amount is not None:
            assert p.member_price_amount < p.price_amount
    assert len(_all(session, sa.select(Category))) == 3
    sea, formula, gifts = (by_category[s] for s in ("sea-cucumber", "infant-formula",
                                                    "gift-boxes"))
    assert sea and formula and gifts
    assert all(68800 <= p.price_amount <= 398000 and p.days_of_supply is None for p in sea)
    assert all(26800 <= p.price_amount <= 39800 for p in formula)
    assert all(128800 <= p.price_amount <= 588800 for p in gifts)
    assert any(p.member_price_amount for p in products)
    # A can lasts longer as the baby eats more solids: stage 1 < stage 2 < stage 3.
    days = {p.sku: p.days_of_supply for p in formula}
    assert all(d and d > 0 for d in days.values())
    assert days["NF-ZH-1"] < days["NF-ZH-2"] < days["NF-ZH-3"]


def test_five_centers_in_two_cities_with_their_kinds(demo, session):
    centers = _all(session, sa.select(Center))
    assert len(centers) == 5
    assert len({c.city for c in centers}) == 2
    kinds = Counter(tuple(c.kinds) for c in centers)
    assert kinds == {("pickup",): 2, ("delivery",): 1, ("pickup", "delivery"): 1,
                     ("warehouse",): 1}
    assert all(c.contact_person for c in centers)
    # Delivery centers price their districts by zone; pickup stores and deliveries have slots.
    zones = _all(session, sa.select(DeliveryZone))
    assert {z.center_id for z in zones} == {c.id for c in centers if c.is_delivery}
    assert any(z.fee_amount and z.free_over_amount and z.min_order_amount for z in zones)
    slot_kinds = set(session.execute(sa.select(Slot.center_id, Slot.kind)).all())
    for c in centers:
        for kind in ("pickup", "delivery"):
            if kind in c.kinds:
                assert (c.id, kind) in slot_kinds
    for c in centers:
        if c.is_delivery:
            assert len(c.districts) >= 3 and c.radius_km and c.radius_km > 0
        assert c.lat and c.lng and c.address_zh and c.address_en and c.name_en
    products = _all(session, sa.select(Product.id))
    held = Counter(cid for cid, in session.execute(sa.select(Stock.center_id)))
    assert held == {c.id: len(products) for c in centers}


def test_reservations_are_the_open_orders(demo, session):
    stock = _all(session, sa.select(Stock))
    assert all(0 <= s.reserved <= s.on_hand for s in stock)
    open_lines = session.execute(
        sa.select(Fulfillment.center_id, FulfillmentLine.product_id,
                  sa.func.sum(FulfillmentLine.quantity))
        .join(FulfillmentLine.fulfillment)
        .where(Fulfillment.status.in_(FulfillmentStatus.OPEN))
        .group_by(Fulfillment.center_id, FulfillmentLine.product_id)).all()
    assert open_lines, "the desks have work today"
    expected = {(c, p): q for c, p, q in open_lines}
    assert {(s.center_id, s.product_id): s.reserved for s in stock if s.reserved} == expected


def test_orders_and_fulfillments_agree(demo, session):
    orders = _all(session, sa.select(Order).options(
        sa.orm.selectinload(Order.lines), sa.orm.selectinload(Order.fulfillment)))
    assert len(orders) == 80  # 4 per customer
    assert len({o.number for o in orders}) == len(orders)
    assert len({o.public_id for o in orders}) == len(orders)
    now = utcnow()
    for o in orders:
        assert re.fullmatch(r"SH-\d{8}-\d{4,}", o.number)
        assert now - timedelta(days=560) < o.created_at <= now
        assert o.total_amount == sum(ln.line_total_amount for ln in o.lines) > 0
        assert all(ln.line_total_amount == ln.unit_price_amount * ln.quantity for ln in o.lines)
        f = o.fulfillment
        assert f.center_id == o.center_id and f.method == o.fulfillment_method
        if o.status == OrderStatus.FULFILLED:
            assert f.status in FulfillmentStatus.DONE
            assert f.completed_at and o.paid_amount == o.total_amount
            assert o.created_at <= f.completed_at <= now
        elif o.status == OrderStatus.CANCELLED:
            assert f.status == FulfillmentStatus.CANCELLED and f.cancelled_at and o.cancelled_at
        else:
            assert o.status == OrderStatus.CONFIRMED and f.status in FulfillmentStatus.OPEN
            assert o.paid_amount == 0
        if f.status in (FulfillmentStatus.READY, FulfillmentStatus.PICKED_UP):
            assert f.pickup_code and len(f.pickup_code) >= 6
        if f.method == "delivery":
            assert f.address["district"] and f.address["street"]
    statuses = Counter(o.status for o in orders)
    assert statuses[OrderStatus.FULFILLED] > len(orders) / 2
    assert statuses[OrderStatus.CONFIRMED] >= 4
    lines = session.execute(sa.select(sa.func.count(OrderLine.id))).scalar()
    assert lines == session.execute(sa.select(sa.func.count(FulfillmentLine.id))).scalar()


def test_staff_are_bound_to_centers_and_logins_work(demo, session):
    logins = {m["email"]: (m["label"].strip(), m["password"]) for m in LOGIN.finditer(demo)}
    assert len(logins) >= 7
    roles = Counter()
    for email, (_label, password) in logins.items():
        user = authenticate(email, password)
        assert user is not None, email
        assert authenticate(email, password + "x") is None
        roles[user.role] += 1
    assert roles[Role.ADMIN] == 1 and roles[Role.CRM] == 1 and roles[Role.CUSTOMER] == 1
    staff = _all(session, sa.select(User).where(User.role == Role.STAFF))
    centers = _all(session, sa.select(Center.id))
    assert {u.center_id for u in staff} == set(centers)
    assert roles[Role.STAFF] == len(staff)


def test_customers_look_real_and_their_figures_match_their_orders(demo, session):
    shoppers = _all(session, sa.select(User).where(User.role == Role.CUSTOMER))
    assert len(shoppers) == 20
    for u in shoppers:
        assert re.fullmatch(r"1[3-9]\d{9}", u.phone)
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", u.name)
    members = _all(session, sa.select(Membership))
    assert members and any(m.baby_birthday for m in members)
    customers = _all(session, sa.select(Customer).where(Customer.user_id.isnot(None)))
    assert len(customers) == 20
    assert_figures_as_refreshed(customers, (
        "orders_count", "lifetime_amount", "frequency", "monetary_amount", "first_order_at",
        "last_order_at", "stage", "card_number"))


def test_recent_completions_have_satisfaction_calls(demo, session):
    calls = _all(session, sa.select(FollowUp).where(FollowUp.kind == "satisfaction"))
    assert calls
    now = utcnow()
    by_order = {f.order_id: f for f in calls}
    recent = _all(session, sa.select(Fulfillment).where(
        Fulfillment.status.in_(FulfillmentStatus.DONE),
        Fulfillment.completed_at >= now - timedelta(days=29)))
    assert recent and all(f.order_id in by_order for f in recent)
    for call in calls:
        assert call.reason == f"satisfaction:order:{call.order_id}"
        if call.status == FollowUpStatus.DONE:
            assert call.satisfaction in range(1, 6) and call.completed_at <= now


def test_new_orders_follow_the_demo(demo, session):
    """Ids were assigned by the seeder: the next order gets a fresh id and number."""
    shopper = session.execute(
        sa.select(User).where(User.role == Role.CUSTOMER).limit(1)).scalar_one()
    store = session.execute(sa.select(Center).where(Center.code == "SH-JA")).scalar_one()
    order = place_order(shopper, lines=[{"sku": "HS-WH-4050", "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": store.id},
                        payment_method="pay_at_pickup")
    assert order.id > session.execute(
        sa.select(sa.func.max(Order.id)).where(Order.id != order.id)).scalar()
    assert order.number.endswith(f"-{order.id:04d}")


def test_if_empty_does_nothing_the_second_time(demo, runner, session):
    before = session.execute(sa.select(sa.func.count(Order.id))).scalar()
    again = runner.invoke(args=["demo", "--if-empty", "--customers", "5"])
    assert again.exit_code == 0 and "nothing to seed" in again.output
    refused = runner.invoke(args=["demo", "--customers", "5"])
    assert refused.exit_code != 0 and "already has products" in refused.output
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar() == before
    assert session.execute(sa.select(sa.func.count(Product.id))).scalar() == 15


def test_the_customer_center_has_complaints_and_coupons_to_work_on(demo, session):
    from crm.care.models import Complaint
    from storefront.coupon_models import Coupon

    found = re.search(r"Customer center: (\d+) complaint\(s\), (\d+) coupon\(s\) given", demo)
    assert found, demo
    complaints = _all(session, sa.select(Complaint))
    assert len(complaints) == int(found.group(1)) >= 5
    states = Counter(c.status for c in complaints)
    assert {"open", "resolved"} <= set(states) and len(states) >= 4
    for c in complaints:
        order = session.get(Order, c.order_id)
        assert order.user_id == c.customer.user_id and c.events[0].to_status == "open"
        if c.status in ("resolved", "closed"):
            assert c.remedy in ("coupon", "apology") and c.root_cause and c.prevention
            assert c.resolved_at >= c.created_at
            assert (c.coupon_id is not None) == (c.remedy == "coupon")
            # and a call to ask whether the customer is satisfied now
            assert session.execute(sa.select(FollowUp).where(
                FollowUp.customer_id == c.customer_id, FollowUp.kind == "complaint",
                FollowUp.reason.startswith(f"complaint:{c.id}:"))).scalars().first()
    coupons = _all(session, sa.select(Coupon))
    assert len(coupons) == int(found.group(2)) and {c.source for c in coupons} == {
        "complaint", "manual"}
    assert all(c.note for c in coupons if c.source == "manual")


def test_a_year_of_snapshots_and_two_finished_campaigns(demo, session):
    from crm.customers import snapshots
    from crm.customers.models import SegmentSnapshot
    from crm.outreach import uplift
    from crm.outreach.models import Campaign

    found = re.search(r"Outcomes: (\d+) monthly segment snapshot row\(s\), 2 finished", demo)
    assert found, demo
    assert int(found.group(1)) == session.execute(
        sa.select(sa.func.count()).select_from(SegmentSnapshot)).scalar_one()
    rates = snapshots.profile_rate_by_month()
    assert len(rates) == 12 and rates[-1][1] > 0  # some profiles completed
    assert [n for _m, _c, n in rates] == sorted(n for _m, _c, n in rates)  # customers come
    latest, before = snapshots.latest_months()
    assert sum(snapshots.movement(before, latest).values()) > 0
    worked, noise = _all(session, sa.select(Campaign).order_by(Campaign.id))
    results = [uplift.outcome(c, utcnow()) for c in (worked, noise)]
    assert [r["state"] for r in results] == ["done", "done"]
    assert results[0]["ordered"].diff > 0  # fewer buyers were held out
    assert results[1]["ordered"].noise  # as many buyers held out as others


def test_the_past_snapshots_agree_with_the_orders(demo, session):
    """Each past month's snapshot holds the customers there were at its end, with a segment
    exactly when they had bought by then (and 'lost' when not within the year before it);
    the measures the dashboard reads are stored."""
    from crm.customers.figures import COUNTED
    from crm.customers.models import SegmentSnapshot
    from crm.reports import measures
    from crm.reports.measure_views import measure_tables

    s = SegmentSnapshot
    months = session.execute(sa.select(s.month).distinct().order_by(s.month)).scalars().all()
    assert len(months) == 12
    for month in months[:-1]:
        end = measures.month_start(measures.months_back(utcnow(), 13)[
            measures.months_back(utcnow(), 13).index(month) + 1])
        bought = (sa.select(sa.func.max(Order.created_at)).where(
            Order.user_id == Customer.user_id, Order.status.in_(COUNTED),
            Order.created_at < end).scalar_subquery())
        rows = session.execute(sa.select(s.segment, bought, Customer.created_at)
                               .join(Customer, Customer.id == s.customer_id)
                               .where(s.month == month)).all()
        assert rows and all((segment is None) == (last is None) for segment, last, _c in rows)
        assert all(_aware(created) < end for _s, _l, created in rows)
        assert all((segment == "lost") == (_aware(last) < end - timedelta(days=365))
                   for segment, last, _c in rows if last is not None)
        # a profile counts as collected at the calls after the first purchase
        collected = session.execute(
            sa.select(sa.func.count()).select_from(s).join(Customer, Customer.id == s.customer_id)
            .where(s.month == month, s.profile_complete, s.segment.is_(None),
                   Customer.orders_count > 0)).scalar_one()
        assert collected == 0
    tables = measure_tables()
    assert len(tables["profile-rate"][1]) == 12 and tables["return-rate"][1]
    assert tables["satisfaction-by-center-month"][1] and tables["segment-moves"][1]


def _aware(value):
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
