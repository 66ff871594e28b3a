"""A counter sale's statements are fixed in its number of lines: a + b x lines, the same
before and after other sales (and whatever the session still holds)."""

from datetime import date, timedelta

from core.clock import shop_today
from fulfillment.lots import receive_lot
from storefront.counter.sales import sell_at_counter
from storefront.loyalty.membership import sign_up_member
from tests.support.queries import count_statements


def test_statements_grow_by_the_same_step_per_line(session, shop, make_product):
    sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                   birthday=date(1990, 5, 1)).tier = "diamond"
    products = [make_product(sku=f"Q-{i}") for i in range(4)]
    for p in products:
        for n, days in enumerate((100, 300)):
            receive_lot(shop.store.id, p.id, batch=f"Q{n}", quantity=50,
                        expires_on=shop_today() + timedelta(days=days), actor=shop.clerk)
    session.commit()

    def sale(lines):
        session.expire_all()
        with count_statements() as statements:
            sell_at_counter(shop.store, shop.clerk,
                            [{"sku": p.sku, "quantity": 2} for p in products[:lines]],
                            member=shop.shopper, payments=[{"method": "cash",
                                                            "tendered": 10_000_000}])
        session.commit()
        return len(statements)

    sale(1)  # the first sale loads what every later one finds ready
    first = [sale(n) for n in (1, 2, 4)]
    step = first[1] - first[0]
    assert first[2] - first[1] == 2 * step
    assert [sale(n) for n in (1, 2, 4)] == first
