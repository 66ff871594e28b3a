"""The seeds' measures: profile collection vs the 90 % goal and the fields most missing,
satisfaction from follow-up calls, the return rate, segment movement between monthly
snapshots (and a cell's customers), complaints against the SLA; each by month and by center
(month x center), stored by the measure job; each with its CSV, each in a fixed number of
statements."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from crm.care.models import Complaint
from crm.customers import profiles, snapshots
from crm.customers.models import SegmentSnapshot
from crm.followups.models import FollowUp
from crm.reports import measures
from crm.reports.measure_views import measure_tables
from crm.reports.models import MeasureMonth
from storefront.models import OrderLine
from tests.support.pages import login
from tests.support.queries import count_statements

FULL = {"name": "全资料", "phone": "13800000011", "email": "full@example.com",
        "gender": "female", "birthday": datetime(1990, 5, 1).date(), "city": "上海市",
        "district": "静安区", "address": "南京西路 1 号",
        "occupation": "教师", "interests": "formula", "source": "store",
        "preferred_channel": "phone", "preferred_time": "morning"}


def complete_customer(agent, phone):
    customer = profiles.create_prospect(agent, {**FULL, "phone": phone})
    profiles.add_child(customer, birth_date=datetime(2025, 1, 1).date())
    return customer


def test_profile_rate_and_the_fields_most_missing(session, shop, clock):
    clock.move_to(datetime(2026, 3, 10, 4, tzinfo=UTC))
    full = [complete_customer(shop.agent, f"1380000002{i}") for i in range(3)]
    profiles.create_prospect(shop.agent, {"name": "少资料", "phone": "13800000030"})
    session.flush()
    assert profiles.completeness(full[0])[0] == 100
    snapshots.take_snapshot(utcnow())
    snapshots.take_snapshot(utcnow())  # again in the month: replaces, no twin rows
    assert snapshots.profile_rate_by_month() == [("2026-03", 3, 4)]
    missing = snapshots.missing_fields()
    assert missing[0][1:] == (1, 4) and missing[-1][1:] == (0, 4)
    assert {f for f, k, _n in missing if not k} == {"name", "phone", "source"}
    measures.store_months(utcnow())
    tables = measure_tables()
    assert tables["profile-rate"][1] == [("2026-03", 3, 4, 0.75, snapshots.PROFILE_GOAL)]
    shown = tables["missing-fields"][1]
    assert shown[0][1:] == (1, 4, 0.25) and shown[-1][1:] == (0, 4, 0.0)
    # prospects have no favourite center: one row, "—"
    assert tables["profile-rate-by-center-month"][1] == [("2026-03", "—", 3, 4, 0.75)]


def test_segment_movement_between_two_snapshots(client, session, shop, clock):
    clock.move_to(datetime(2026, 3, 10, 4, tzinfo=UTC))
    a = profiles.create_prospect(shop.agent, {"name": "甲", "phone": "13800000041"})
    b = profiles.create_prospect(shop.agent, {"name": "乙", "phone": "13800000042"})
    a.rfm_segment, b.rfm_segment = "loyal", "loyal"
    session.flush()
    snapshots.take_snapshot(utcnow())
    clock.move_to(datetime(2026, 4, 10, 4, tzinfo=UTC))
    a.rfm_segment = "at_risk"
    c = profiles.create_prospect(shop.agent, {"name": "丙", "phone": "13800000043"})
    c.rfm_segment = "new"
    session.flush()
    snapshots.take_snapshot(utcnow())
    assert snapshots.latest_months() == ("2026-04", "2026-03")
    assert snapshots.movement("2026-03", "2026-04") == {
        ("loyal", "at_risk"): 1, ("loyal", "loyal"): 1, ("none", "new"): 1}
    assert [x.name for x in snapshots.moved_customers("2026-03", "2026-04", "loyal",
                                                       "at_risk")] == ["甲"]

    measures.store_months(utcnow())
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert 'data-testid="move-loyal-at_risk">1<' in page
    cell = client.get("/crm/dashboard/moves?from=loyal&to=at_risk").get_data(as_text=True)
    assert "甲" in cell and "乙" not in cell
    assert client.get("/crm/dashboard/moves?from=loyal&to=bogus").status_code == 404
    csv = client.get("/crm/dashboard/segment-moves.csv").get_data(as_text=True)
    assert "loyal,at_risk,1" in csv.replace("\r", "")


def _call(session, customer, order, score, agent, when):
    session.add(FollowUp(customer_id=customer.id, order_id=order.id, kind="satisfaction",
                         reason=f"s:{order.id}", due_at=when, status="done",
                         satisfaction=score, completed_at=when, completed_by_id=agent.id))


def test_satisfaction_by_month_center_product_and_agent(session, shop, make_order):
    customer = profiles.create_prospect(shop.agent, {"name": "评分", "phone": "13800000051"})
    customer.user_id = shop.shopper.id
    now = utcnow()
    for score, center in ((5, shop.store), (3, shop.store), (4, shop.far_store)):
        _call(session, customer, make_order(shop.shopper, shop.products[0], center), score,
              shop.agent, now)
    session.flush()
    measures.store_months(now)
    tables = measure_tables()
    month = snapshots.month_of(now)
    assert tables["satisfaction"][1] == [(month, 3, 4.0)]
    store, far = shop.store.name_zh, shop.far_store.name_zh
    assert sorted(tables["satisfaction-by-center"][1]) == sorted([(store, 2, 4.0), (far, 1, 4.0)])
    assert tables["satisfaction-by-center-month"][1] == sorted(
        [(month, store, 2, 4.0), (month, far, 1, 4.0)])
    assert tables["satisfaction-by-product"][1] == [(shop.products[0].name_zh, 3, 4.0)]
    assert tables["satisfaction-by-agent"][1] == [(shop.agent.name, 3, 4.0)]


def test_a_call_counts_once_for_each_product_of_its_order(session, shop, make_order):
    """A call about an order of two products (one of them on two lines) gives its score
    once to each product; the calls by product add up to more than the calls, as the
    dashboard's note says."""
    customer = profiles.create_prospect(shop.agent, {"name": "多品", "phone": "13800000052"})
    customer.user_id = shop.shopper.id
    a, b = shop.products[0], shop.products[1]
    mixed = make_order(shop.shopper, a, shop.store)
    for product in (b, b):
        mixed.lines.append(OrderLine(product_id=product.id, sku=product.sku,
                                     name_zh=product.name_zh, quantity=1,
                                     unit_price_amount=product.price_amount,
                                     line_total_amount=product.price_amount))
    now = utcnow()
    _call(session, customer, mixed, 5, shop.agent, now)
    _call(session, customer, make_order(shop.shopper, a, shop.store), 3, shop.agent, now)
    session.flush()
    measures.store_months(now)
    tables = measure_tables()
    assert tables["satisfaction"][1][0][1:] == (2, 4.0)
    by_product = dict((name, (n, mean)) for name, n, mean in
                      tables["satisfaction-by-product"][1])
    assert by_product == {a.name_zh: (2, 4.0), b.name_zh: (1, 5.0)}


def test_the_return_rate_counts_buying_again_within_90_days(session, shop, make_order,
                                                            make_user):
    back, late, once = make_user(), make_user(), make_user()
    p = shop.products[0]
    make_order(back, p, shop.store, days_ago=150)  # back 30 days later
    make_order(back, p, shop.store, days_ago=120)
    make_order(late, p, shop.store, days_ago=150)  # back after 100 days
    make_order(late, p, shop.far_store, days_ago=50)
    make_order(once, p, shop.store, days_ago=150)
    make_order(once, p, shop.store, days_ago=140, status="cancelled")
    measures.store_months(utcnow())
    tables = measure_tables()
    rows = {m: (b, r, final) for m, b, r, _rate, final in tables["return-rate"][1]}
    first, last = (snapshots.month_of(utcnow() - timedelta(days=d)) for d in (150, 50))
    assert rows[first] == (3, 1, True)
    assert rows[last][1:] == (0, False)
    store, far = shop.store.name_zh, shop.far_store.name_zh
    by_center_month = {(m, c): (b, r, final) for m, c, b, r, _rate, final
                       in tables["return-rate-by-center-month"][1]}
    assert by_center_month[(first, store)] == (3, 1, True)
    assert by_center_month[(last, far)] == (1, 0, False)
    # by center: the months added up (back bought at the store in two months, or one)
    months_back = 1 if first == snapshots.month_of(utcnow() - timedelta(days=120)) else 2
    by_center = {c: (b, r) for c, b, r, _rate in tables["return-rate-by-center"][1]}
    assert by_center[store] == (2 + months_back, 1)


def test_complaints_against_their_sla(session, shop):
    customer = profiles.create_prospect(shop.agent, {"name": "投诉", "phone": "13800000061"})
    now = utcnow()
    hour = timedelta(hours=1)
    for answered, resolved in ((1, 2), (5, None), (None, None)):
        session.add(Complaint(
            customer_id=customer.id, category="quality", description="x", status="open",
            created_at=now - 10 * hour, first_response_due_at=now - 6 * hour,
            due_at=now - 3 * hour,
            first_response_at=now - 10 * hour + answered * hour if answered else None,
            resolved_at=now - 10 * hour + resolved * hour if resolved else None))
    session.flush()
    measures.store_months(now)
    tables = measure_tables()
    assert [row[1:] for row in tables["complaint-sla"][1]] == [(3, 1, 1)]
    assert tables["complaint-sla-by-center"][1] == [("—", 3, 1, 1)]
    assert tables["complaint-sla-by-center-month"][1] == [
        (snapshots.month_of(now - 10 * hour), "—", 3, 1, 1)]


@pytest.mark.parametrize("n", [3])
def test_statements_do_not_grow_with_the_customers(session, shop, make_order, make_user, n):
    def statements():
        snapshots.take_snapshot(utcnow())
        session.execute(sa.delete(MeasureMonth))  # every month computed afresh
        with count_statements() as job:
            measures.store_months(utcnow())
        with count_statements() as page:
            measure_tables()
        return len(job), len(page)

    def more(k):
        for _ in range(k):
            user = make_user()
            customer = profiles.create_prospect(shop.agent, {"name": "多", "phone": None})
            customer.user_id = user.id
            order = make_order(user, shop.products[0], shop.store, days_ago=40)
            _call(session, customer, order, 4, shop.agent, utcnow())
            session.add(Complaint(customer_id=customer.id, order_id=order.id,
                                  category="quality", description="x", status="open",
                                  created_at=utcnow(), first_response_due_at=utcnow(),
                                  due_at=utcnow()))
        session.flush()

    more(n)
    few = statements()
    more(10 * n)
    assert statements() == few
    assert session.execute(sa.select(sa.func.count()).select_from(SegmentSnapshot)
                           ).scalar_one() == 11 * n
    assert measure_tables()["satisfaction"][1][-1][1] == 11 * n


def test_the_job_recomputes_only_the_months_that_can_change(session, shop, make_order,
                                                            make_user):
    """A month whose return rate is final is stored once; the open months are recomputed
    at each run; a month of the year never stored is computed."""
    now = utcnow()
    old, recent = make_user(), make_user()
    make_order(old, shop.products[0], shop.store, days_ago=200)
    make_order(recent, shop.products[0], shop.store, days_ago=10)
    measures.store_months(now)
    old_month = snapshots.month_of(now - timedelta(days=200))
    new_month = snapshots.month_of(now - timedelta(days=10))

    def buyers():
        return {m: b for m, b, *_rest in measure_tables()["return-rate"][1]}

    assert buyers()[old_month] == 1 and buyers()[new_month] == 1
    make_order(make_user(), shop.products[0], shop.store, days_ago=200)
    make_order(make_user(), shop.products[0], shop.store, days_ago=10)
    measures.store_months(now)
    assert buyers()[old_month] == 1  # final: kept as stored
    assert buyers()[new_month] == 2
    session.execute(sa.delete(MeasureMonth).where(MeasureMonth.month == old_month))
    measures.store_months(now)
    assert buyers()[old_month] == 2
    # twelve months, each with its row even when nothing happened
    assert len(measure_tables()["return-rate"][1]) == measures.MONTHS


def test_the_dashboard_says_when_the_measures_were_computed(app, client, session, shop):
    jobs = list(app.extensions["shop_jobs"])  # run by jobs run-due, after the snapshot
    assert jobs.index("segment_snapshot") < jobs.index("measure_months")
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert "flask jobs run-due" in page
    measures.store_months(utcnow())
    session.commit()  # as the job does: the cached sections move on after the commit
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert 'data-testid="measures-as-of"' in page and "flask jobs run-due" not in page


def test_every_measure_has_its_csv(client, session, shop, make_order):
    order = make_order(shop.shopper, shop.products[0], shop.store)
    customer = profiles.create_prospect(shop.agent, {"name": "表", "phone": "13800000071"})
    _call(session, customer, order, 4, shop.agent, utcnow())
    session.flush()
    measures.store_months(utcnow())
    login(client, shop.agent)
    by_month = client.get("/crm/dashboard/satisfaction-by-center-month.csv")
    assert by_month.get_data(as_text=True).replace("\r", "").splitlines()[1:] == [
        f"{snapshots.month_of(utcnow())},{shop.store.name_en},1,4.0"]
    for name in measure_tables():
        response = client.get(f"/crm/dashboard/{name}.csv")
        assert response.status_code == 200, name
        assert response.mimetype == "text/csv"


def test_a_charts_json_computes_its_own_table_only(client, session, shop):
    login(client, shop.agent)
    client.get("/crm/dashboard/return-rate.json")  # the session's first request, warmed up
    with count_statements() as seen:
        table = client.get("/crm/dashboard/return-rate.json").get_json()
    assert table["header"][:3] == ["month", "buyers", "returned_within_90_days"]
    assert not [s for s in seen if "followups" in s or "segment_snapshots" in s
                or "complaints" in s or "FROM orders" in s]


def test_a_past_snapshot_is_derived_from_the_orders_placed_by_then(session, shop, make_order,
                                                                   make_user):
    """``take_snapshot_as_of`` finds, at ``now``, the segments the figure job finds; at an
    earlier month's end, only the orders placed by then count, and customers who came
    later are not in it."""
    from crm.customers.figures import recompute_figures
    from crm.customers.models import Customer

    users = [make_user() for _ in range(8)]
    for k, user in enumerate(users):
        profiles.create_prospect(shop.agent, {"name": f"买{k}", "phone": None}).user_id = user.id
        for n in range(k % 4 + 1):
            make_order(user, shop.products[k % 3], shop.store if k % 2 else shop.far_store,
                       days_ago=5 + 40 * n + k)
    late = make_user()  # buys only in the last few days
    profiles.create_prospect(shop.agent, {"name": "新客", "phone": None}).user_id = late.id
    make_order(late, shop.products[0], shop.store, days_ago=2)
    session.execute(sa.update(Customer).values(created_at=utcnow() - timedelta(days=400)))
    session.flush()
    now = utcnow()
    recompute_figures(now)
    month = snapshots.month_of(now)
    snapshots.take_snapshot_as_of(month, now)
    found = dict(session.execute(
        sa.select(SegmentSnapshot.customer_id, SegmentSnapshot.segment)
        .where(SegmentSnapshot.month == month)).all())
    assert found == dict(session.execute(sa.select(Customer.id, Customer.rfm_segment)).all())

    # as the day 3 days ago ended: the late customer had not bought, others had fewer orders
    then = now - timedelta(days=3)
    snapshots.take_snapshot_as_of("2000-01", then)
    rows = {cid: (segment, center) for cid, segment, center in session.execute(
        sa.select(SegmentSnapshot.customer_id, SegmentSnapshot.segment,
                  SegmentSnapshot.center_id).where(SegmentSnapshot.month == "2000-01"))}
    late_customer = session.execute(sa.select(Customer.id).where(
        Customer.user_id == late.id)).scalar_one()
    assert rows[late_customer] == (None, None)
    assert all(segment is not None for cid, (segment, _c) in rows.items()
               if cid != late_customer)
    # nobody created after the moment is in it
    session.execute(sa.update(Customer).where(Customer.id == late_customer)
                    .values(created_at=now - timedelta(hours=1)))
    snapshots.take_snapshot_as_of("2000-01", then)
    assert late_customer not in set(session.execute(sa.select(SegmentSnapshot.customer_id)
                                                    .where(SegmentSnapshot.month == "2000-01"))
                                    .scalars())
