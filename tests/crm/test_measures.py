"""The seeds' measures: profile collection vs the 90 % goal and the fields most missing,
satisfaction from follow-up calls, the return rate, segment movement between monthly
snapshots (and a cell's customers), complaints against the SLA; each with its CSV, each
in a fixed number of statements."""

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

    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert 'data-testid="move-loyal-at_risk">1<' in page
    cell = client.get("/crm/dashboard/moves?from=loyal&to=at_risk").get_data(as_text=True)
    assert "甲" in cell and "乙" not in cell
    assert client.get("/crm/dashboard/moves?from=loyal&to=bogus").status_code == 404
    csv = client.get("/crm/dashboard/segment-moves.csv").get_data(as_text=True)
    assert "loyal,at_risk,1" in csv.replace("\r", "")


def test_satisfaction_by_month_center_product_and_agent(session, shop, make_order):
    customer = profiles.create_prospect(shop.agent, {"name": "评分", "phone": "13800000051"})
    customer.user_id = shop.shopper.id
    now = utcnow()
    for score, center in ((5, shop.store), (3, shop.store), (4, shop.far_store)):
        order = make_order(shop.shopper, shop.products[0], center)
        session.add(FollowUp(customer_id=customer.id, order_id=order.id, kind="satisfaction",
                             reason=f"s:{order.id}", due_at=now, status="done",
                             satisfaction=score, completed_at=now,
                             completed_by_id=shop.agent.id))
    session.flush()
    sat = measures.satisfaction(now)
    assert [(n, s) for _m, n, s in sat["by_month"]] == [(3, 4.0)]
    assert sorted(sat["by_center"]) == sorted([(shop.store.id, 2, 4.0),
                                               (shop.far_store.id, 1, 4.0)])
    assert sat["by_product"] == [(shop.products[0].id, 3, 4.0)]
    assert sat["by_agent"] == [(shop.agent.name, 3, 4.0)]


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
    rows = {m: (b, r, final) for m, b, r, final in measures.return_rate(utcnow())["by_month"]}
    assert rows[snapshots.month_of(utcnow() - timedelta(days=150))] == (3, 1, True)
    assert rows[snapshots.month_of(utcnow() - timedelta(days=50))][1:] == (0, False)
    by_center = dict((c, (b, r)) for c, b, r in measures.return_rate(utcnow())["by_center"])
    assert by_center[shop.store.id] == (3, 1)


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
    sla = measures.complaint_sla(now)
    assert [row[1:] for row in sla["by_month"]] == [(3, 1, 1)]
    assert sla["by_center"] == [(None, 3, 1, 1)]


@pytest.mark.parametrize("n", [3])
def test_statements_do_not_grow_with_the_customers(session, shop, make_order, make_user, n):
    def statements():
        snapshots.take_snapshot(utcnow())
        with count_statements() as seen:
            measure_tables()
        return len(seen)

    def more(k):
        for _ in range(k):
            user = make_user()
            customer = profiles.create_prospect(shop.agent, {"name": "多", "phone": None})
            customer.user_id = user.id
            make_order(user, shop.products[0], shop.store)
        session.flush()

    more(n)
    few = statements()
    more(10 * n)
    assert statements() == few
    assert session.execute(sa.select(sa.func.count()).select_from(SegmentSnapshot)
                           ).scalar_one() == 11 * n


def test_every_measure_has_its_csv(client, session, shop):
    login(client, shop.agent)
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
                or "complaints" in s]
