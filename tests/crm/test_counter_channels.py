"""The figures know the channel: the dashboard's sales by store and channel (web orders and
counter sales), and a customer's online and in-store purchases side by side on the 360."""

import pytest

from crm.customers.services import ensure_customer
from crm.reports import dashboards
from storefront.counter.sales import sell_at_counter
from tests.support.pages import login

pytestmark = pytest.mark.dates


def test_sales_by_store_and_channel_and_the_360(client, session, shop, make_order):
    make_order(shop.shopper, shop.products[1], shop.store, days_ago=0)  # online, 398.00
    sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku, "quantity": 2}],
                    member=shop.shopper, payments=[{"method": "cash", "amount": 25600}])
    sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku, "quantity": 1}],
                    payments=[{"method": "alipay_scan", "amount": 12800}])  # anonymous
    rows = {(zh, channel): (n, amount)
            for zh, _en, channel, n, amount in dashboards.sales_by_channel_and_store()}
    assert rows == {(shop.store.name_zh, "web"): (1, 39800),
                    (shop.store.name_zh, "store"): (2, 38400)}
    customer = ensure_customer(shop.shopper)
    session.commit()
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert 'data-testid="sales-by-channel"' in page and "In store" in page
    csv = client.get("/crm/dashboard/sales-by-channel.csv").get_data(as_text=True)
    assert "store,2,38400" in csv.replace("\r", "")
    page = client.get(f"/crm/customers/{customer.id}").get_data(as_text=True)
    online = page[page.index('data-testid="channel-web"'):][:300]
    in_store = page[page.index('data-testid="channel-store"'):][:300]
    assert "¥398.00" in online and "1 order" in online
    assert "¥256.00" in in_store and "1 order" in in_store
    assert 'data-testid="in-store"' in page
