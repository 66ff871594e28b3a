"""Transfers between centers (request, ship, receive) and low-stock alerts; staff boundaries."""

import pytest
import sqlalchemy as sa

from core.errors import IllegalTransition, NotFound
from fulfillment import transfers
from fulfillment.errors import InsufficientStock
from fulfillment.ledger import verify_ledger
from fulfillment.models import Stock, StockMovement

API = "/api/v1/staff"


def units(session, center, product):
    session.expire_all()
    return session.execute(sa.select(Stock.on_hand).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one_or_none()


def test_request_ship_receive_moves_stock_with_ledger_rows(session, shop):
    product = shop.products[0]
    t = transfers.request_transfer(from_center=shop.hub, to_center=shop.store,
                                   product_id=product.id, quantity=4, actor=shop.clerk)
    with pytest.raises(NotFound):
        transfers.ship_transfer(t, shop.clerk)  # the store cannot ship the hub's units
    transfers.ship_transfer(t, shop.hub_clerk)
    assert (units(session, shop.hub, product), units(session, shop.store, product)) == (6, 10)
    with pytest.raises(IllegalTransition):
        transfers.cancel_transfer(t, shop.clerk)
    transfers.receive_transfer(t, shop.clerk)
    assert units(session, shop.store, product) == 14 and t.status == "received"
    moves = session.execute(sa.select(StockMovement.center_id, StockMovement.on_hand_delta)
                            .where(StockMovement.kind == "transferred")).all()
    assert sorted(moves) == sorted([(shop.hub.id, -4), (shop.store.id, 4)])
    assert verify_ledger() == []


def test_shipping_never_takes_promised_units(session, shop):
    from storefront.orders import place_order

    product = shop.products[0]
    place_order(shop.shopper, lines=[{"sku": product.sku, "quantity": 8}],
                fulfillment={"method": "pickup", "center_id": shop.far_store.id},
                payment_method="pay_at_pickup")
    t = transfers.request_transfer(from_center=shop.far_store, to_center=shop.store,
                                   product_id=product.id, quantity=3, actor=shop.clerk)
    with pytest.raises(InsufficientStock):
        transfers.ship_transfer(t, shop.far_clerk)
    assert t.status == "requested"


def test_low_stock_alerts(session, shop):
    a, b = shop.products[:2]
    transfers.set_alert(shop.store.id, a.id, 12, shop.clerk)
    transfers.set_alert(shop.store.id, b.id, 5, shop.clerk)
    assert [s.product_id for s in transfers.low_stock(shop.store.id)] == [a.id]
    with pytest.raises(NotFound):
        transfers.set_alert(shop.far_store.id, a.id, 3, shop.clerk)


def test_transfer_api_and_boundaries(client, session, shop, token_for):
    product = shop.products[1]
    store, hub, far = (token_for(shop.clerk), token_for(shop.hub_clerk),
                       token_for(shop.far_clerk))
    session.commit()
    response = client.post(f"{API}/transfers", headers=store, json={
        "from_center_id": shop.hub.id, "sku": product.sku, "quantity": 2, "note": "周末补货"})
    assert response.status_code == 201, response.get_json()
    t = response.get_json()
    assert (t["to_center_id"], t["sku"], t["status"]) == (shop.store.id, product.sku,
                                                          "requested")
    # Another store neither sees nor touches it; staff cannot request for another center.
    assert client.get(f"{API}/transfers", headers=far).get_json()["items"] == []
    assert client.post(f"{API}/transfers/{t['id']}/ship", headers=far).status_code == 404
    assert client.post(f"{API}/transfers", headers=far, json={
        "from_center_id": shop.hub.id, "to_center_id": shop.store.id, "sku": product.sku,
        "quantity": 1}).status_code == 404
    assert client.post(f"{API}/transfers/{t['id']}/receive", headers=store).status_code == 409
    assert client.post(f"{API}/transfers/{t['id']}/ship", headers=hub).status_code == 200
    received = client.post(f"{API}/transfers/{t['id']}/receive", headers=store)
    assert received.get_json()["status"] == "received"
    assert [x["id"] for x in client.get(f"{API}/transfers", headers=hub).get_json()["items"]] \
        == [t["id"]]
    bad = client.post(f"{API}/transfers", headers=store, json={
        "from_center_id": shop.hub.id, "sku": "NOPE", "quantity": 0})
    assert bad.status_code == 400 and bad.get_json()["code"] == "validation_error"


def test_low_stock_api(client, session, shop, token_for):
    store, far = token_for(shop.clerk), token_for(shop.far_clerk)
    session.commit()
    sku = shop.products[0].sku
    assert client.put(f"{API}/stock/{sku}/alert", headers=store,
                      json={"alert_below": 11}).status_code == 200
    assert client.put(f"{API}/stock/{sku}/alert", headers=far,
                      json={"alert_below": 11, "center_id": shop.store.id}).status_code == 404
    low = client.get(f"{API}/stock/low", headers=store).get_json()["items"]
    assert low == [{"sku": sku, "on_hand": 10, "reserved": 0, "available": 10,
                    "alert_below": 11}]
    assert client.get(f"{API}/stock/low?center_id={shop.store.id}",
                      headers=far).status_code == 404
