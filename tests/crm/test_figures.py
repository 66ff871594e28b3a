"""Differentiate: the bulk recompute agrees with the per-customer figures; RFM quintiles and
named segments; stages by recency."""


from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from crm.customers.figures import (
    Segment,
    recompute_figures,
    refresh_buyers,
    rfm_grid,
    segment_of,
)
from crm.customers.models import Customer
from crm.customers.services import ensure_customer, refresh_figures
from storefront.loyalty.membership import sign_up_member
from storefront.models import Category, Order

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too

FIELDS = ("orders_count", "lifetime_amount", "frequency", "monetary_amount", "first_order_at",
          "last_order_at", "avg_basket_amount", "favourite_center_id", "favourite_category_id",
          "stage")


def snapshot(customer):
    return {f: getattr(customer, f) for f in FIELDS}


def test_bulk_recompute_agrees_with_the_per_customer_figures(session, shop, make_user,
                                                             make_product, make_order):
    gifts = Category(slug="gift-boxes", name_zh="礼盒")
    box = make_product(price=88800, category=gifts)
    people = [make_user() for _ in range(4)]
    a, b, c, d = people
    make_order(a, shop.products[0], shop.store, days_ago=3)
    make_order(a, box, shop.far_store, days_ago=40, quantity=2)
    make_order(a, box, shop.far_store, days_ago=400)
    make_order(b, shop.products[1], shop.store, days_ago=200)
    make_order(c, shop.products[2], shop.store, days_ago=10, status="cancelled")
    make_order(d, shop.products[0], shop.hub, days_ago=500)
    customers = [ensure_customer(u) for u in people]
    now = utcnow()
    expected = {}
    for customer in customers:
        refresh_figures(customer, now)
        expected[customer.id] = snapshot(customer)
    session.execute(sa.update(Customer).values(
        orders_count=7, lifetime_amount=1, frequency=3, monetary_amount=5, stage="vip",
        first_order_at=None, last_order_at=None, avg_basket_amount=0, favourite_center_id=None,
        favourite_category_id=None))
    session.expire_all()

    recompute_figures(now)
    for customer in customers:
        got = snapshot(session.get(Customer, customer.id))
        assert got == expected[customer.id], customer.name
    a_row = session.get(Customer, customers[0].id)
    assert a_row.favourite_center_id == shop.far_store.id
    assert a_row.favourite_category_id == gifts.id  # most spent on gift boxes
    assert a_row.avg_basket_amount == (12800 + 2 * 88800 + 88800) // 3
    assert [session.get(Customer, x.id).stage for x in customers] == [
        "repeat", "dormant", "prospect", "lost"]


def test_the_buyers_refreshed_after_their_orders_agree_with_the_per_customer_figures(
        session, shop, make_user, make_product, make_order):
    """``refresh_buyers`` (after a checkout's commit) writes what ``refresh_figures`` would,
    for the buyers named and no one else."""
    gifts = Category(slug="gift-boxes", name_zh="礼盒")
    box = make_product(price=88800, category=gifts)
    a, b, other = (make_user() for _ in range(3))
    make_order(a, shop.products[0], shop.store, days_ago=3)
    make_order(a, box, shop.far_store, days_ago=40, quantity=2)
    make_order(a, box, shop.far_store, days_ago=400)
    make_order(b, shop.products[1], shop.store, days_ago=200)
    make_order(other, shop.products[0], shop.hub, days_ago=5)
    sign_up_member(b, name="王丽", phone="13812345678", marketing_consent=True)
    customers = [ensure_customer(u) for u in (a, b, other)]
    now = utcnow()
    expected = {}
    for customer in customers:
        refresh_figures(customer, now)
        expected[customer.id] = snapshot(customer) | {
            "card_number": customer.card_number, "marketing_consent": customer.marketing_consent}
    assert expected[customers[1].id]["card_number"]
    assert expected[customers[1].id]["marketing_consent"] is True
    session.execute(sa.update(Customer).values(orders_count=7, lifetime_amount=1, stage="lost",
                                               favourite_center_id=None, card_number=None,
                                               marketing_consent=False))
    session.expire_all()

    assert refresh_buyers([a.id, b.id], now) == 2
    for customer in customers[:2]:
        row = session.get(Customer, customer.id)
        assert snapshot(row) | {"card_number": row.card_number,
                                "marketing_consent": row.marketing_consent} \
            == expected[customer.id]
    untouched = session.get(Customer, customers[2].id)
    assert (untouched.orders_count, untouched.stage) == (7, "lost")


def test_rfm_quintiles_and_segments(session, shop, make_user, make_order):
    product = shop.products[0]
    users = [make_user() for _ in range(10)]
    # k-th customer: last order k*30 days ago, k+1 orders in the year, the more the better
    for k, user in enumerate(users):
        for n in range(10 - k):
            make_order(user, product, shop.store, days_ago=5 + k * 30 + n)
    lapsed = make_user()
    make_order(lapsed, product, shop.store, days_ago=420)
    for user in users + [lapsed]:
        ensure_customer(user)
    recompute_figures(utcnow())
    rows = [session.execute(sa.select(Customer).where(Customer.user_id == u.id)).scalar_one()
            for u in users]
    assert [r.r_score for r in rows] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert [r.f_score for r in rows] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert [r.rfm_segment for r in rows] == (
        ["champions"] * 4 + ["loyal"] * 2 + ["hibernating"] * 4)
    old = session.execute(sa.select(Customer).where(Customer.user_id == lapsed.id)).scalar_one()
    assert (old.r_score, old.rfm_segment) == (None, "lost")
    grid = rfm_grid()
    assert grid["cells"][(5, 5)] == 2 and sum(grid["cells"].values()) == 10
    assert grid["segments"]["champions"] == 4 and grid["segments"]["lost"] == 1
    # idempotent
    recompute_figures(utcnow())
    assert rfm_grid() == grid


def test_a_customer_whose_orders_no_longer_count_goes_back_to_zero(session, shop, make_user,
                                                                   make_order):
    kept, gone = make_user(), make_user()
    make_order(kept, shop.products[0], shop.store, days_ago=3)
    order = make_order(gone, shop.products[0], shop.store, days_ago=3)
    for user in (kept, gone):
        ensure_customer(user)
    recompute_figures(utcnow())
    session.execute(sa.update(Order).where(Order.id == order.id).values(status="refunded"))
    summary = recompute_figures(utcnow())
    assert summary == "1 customer(s) with orders, 1 row(s) changed"
    row = session.execute(sa.select(Customer).where(Customer.user_id == gone.id)).scalar_one()
    assert (row.orders_count, row.lifetime_amount, row.last_order_at, row.rfm_segment,
            row.stage) == (0, 0, None, None, "prospect")
    other = session.execute(sa.select(Customer).where(Customer.user_id == kept.id)).scalar_one()
    assert other.orders_count == 1


def _customer_updates(session) -> tuple[int, int]:
    """(rows updated, of which HOT) in customers, so far in this transaction."""
    return session.execute(sa.text(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
        "WHERE relname = 'customers'")).one()


def test_rewriting_every_customers_figures_touches_no_index(session, backend, shop, make_user,
                                                            make_order):
    """A figure update keeps the row on its page and leaves the indexes alone (a HOT update),
    which is what keeps the job's rewrite of 100,000 customers in seconds: no figure column
    is indexed, and the table keeps room on each page."""
    if backend != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    assert session.execute(sa.text(
        "SELECT reloptions FROM pg_class WHERE relname = 'customers'")).scalar_one() == [
            "fillfactor=70"]
    users = [make_user() for _ in range(6)]
    for k, user in enumerate(users):
        make_order(user, shop.products[0], shop.store, days_ago=5 + 20 * k)
        ensure_customer(user)
    recompute_figures(utcnow())
    session.flush()
    before = _customer_updates(session)
    # A year on, every customer's recency, stage, scores and segment change.
    summary = recompute_figures(utcnow() + timedelta(days=400))
    assert summary.endswith(f"{len(users)} row(s) changed")
    updated, hot = (a - b for a, b in zip(_customer_updates(session), before, strict=True))
    assert updated == len(users)
    assert hot == updated


@pytest.mark.parametrize("scores, orders, segment", [
    ((5, 5, 5), 9, Segment.CHAMPIONS), ((3, 3, 3), 4, Segment.LOYAL),
    ((5, 1, 1), 1, Segment.NEW), ((4, 1, 2), 2, Segment.PROMISING),
    ((3, 1, 1), 2, Segment.NEED_ATTENTION), ((1, 4, 4), 6, Segment.AT_RISK),
    ((2, 1, 2), 2, Segment.HIBERNATING), ((None, None, None), 3, Segment.LOST),
    ((None, None, None), 0, None)])
def test_segment_names(scores, orders, segment):
    assert segment_of(*scores, orders) == segment


def test_the_job_runs_from_the_command_line(session, runner, shop, make_order):
    make_order(shop.shopper, shop.products[0], shop.store)
    ensure_customer(shop.shopper)
    session.commit()
    result = runner.invoke(args=["jobs", "run-due"])
    assert "recompute_figures: 1 customer(s) with orders, 1 row(s) changed" in result.output


def test_dashboard_grid_clicks_through_to_the_list(client, session, shop, make_user,
                                                   make_order):
    from tests.support.pages import login

    users = [make_user(name=f"客户{k}") for k in range(5)]
    for k, user in enumerate(users):
        for n in range(5 - k):
            make_order(user, shop.products[0], shop.store, days_ago=5 + 40 * k + n)
        ensure_customer(user)
    recompute_figures(utcnow())
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert 'data-testid="cell-5-5"' in page and "/crm/customers?r=5&amp;f=5" in page
    listing = client.get("/crm/customers?r=5&f=5").get_data(as_text=True)
    assert "客户0" in listing and "客户4" not in listing
    listing = client.get("/crm/customers?segment=champions").get_data(as_text=True)
    assert "客户0" in listing
    assert client.get("/crm/customers?r=9&segment=nonsense").status_code == 200


def test_the_360_shows_the_figures(client, session, shop, make_user, make_product, make_order,
                                   token_for):
    from flask_babel import force_locale

    from core.i18n import money_filter
    from crm.web import SEGMENT_LABELS
    from tests.support.pages import login

    gifts = Category(slug="gift-boxes-360", name_zh="礼盒", name_en="Gift boxes")
    box = make_product(price=88800, category=gifts)
    buyer = make_user(name="周敏")
    make_order(buyer, box, shop.far_store, days_ago=3)
    make_order(buyer, shop.products[0], shop.far_store, days_ago=20)
    make_order(buyer, shop.products[0], shop.store, days_ago=30)
    others = [make_user() for _ in range(4)]
    for k, user in enumerate(others):
        make_order(user, shop.products[0], shop.store, days_ago=50 + 60 * k)
        ensure_customer(user)
    customer = ensure_customer(buyer)
    refresh_figures(customer)  # the per-order refresh sets the favourites too
    assert (customer.favourite_center_id, customer.favourite_category_id) == (
        shop.far_store.id, gifts.id)
    recompute_figures(utcnow())
    session.refresh(customer)
    assert customer.r_score and customer.rfm_segment

    login(client, shop.agent)
    page = client.get(f"/crm/customers/{customer.id}").get_data(as_text=True)
    basket = (88800 + 2 * 12800) // 3
    with force_locale("en"):
        money, label = money_filter(basket), str(SEGMENT_LABELS[customer.rfm_segment])
    assert f'data-testid="avg-basket">{money}<' in page
    assert f'data-testid="favourite-center">{shop.far_store.name_en}<' in page
    assert 'data-testid="favourite-category">Gift boxes<' in page
    assert (f'data-testid="rfm-scores">R {customer.r_score} · F {customer.f_score} · '
            f'M {customer.m_score}<') in page
    assert f'data-testid="rfm-segment">{label}<' in page

    body = client.get(f"/api/v1/crm/customers/{customer.id}",
                      headers=token_for(shop.agent)).get_json()
    figures = body["figures"]
    assert figures["avg_basket"] == {"amount": basket, "currency": "CNY"}
    assert (figures["favourite_center_id"], figures["favourite_category_id"]) == (
        shop.far_store.id, gifts.id)
    assert figures["favourite_category"] == "Gift boxes"  # in the reader's language
    assert (figures["r_score"], figures["f_score"], figures["m_score"]) == (
        customer.r_score, customer.f_score, customer.m_score)
    assert figures["rfm_segment"] == customer.rfm_segment
