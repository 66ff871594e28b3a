"""Stock that knows its lots: transfers ship first-expired-first-out and the receiving center
gets the same lots; counts take from the lots expiring first or put units into a lot; the
verify command compares lots with stock (both backends)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.errors import ValidationFailed
from fulfillment import services as desk
from fulfillment import transfers
from fulfillment.ledger import verify_ledger
from fulfillment.lot_moves import verify_lots
from fulfillment.lots import receive_lot
from fulfillment.models import Lot, StockMovement
from storefront.orders import place_order


@pytest.fixture()
def tracked(session, shop, make_product, clock):
    """A formula kept in lots at the hub: three batches expiring at different dates."""
    product = make_product(sku="NF-MOVE-1")
    made = {}
    today = clock.today()
    for batch, days, units in (("LATE", 900, 5), ("SOON", 400, 3), ("MID", 600, 4)):
        made[batch] = receive_lot(shop.hub.id, product.id, batch=batch,
                                  expires_on=today + timedelta(days=days),
                                  produced_on=today - timedelta(days=60), quantity=units,
                                  actor=shop.hub_clerk)
    return product, made


def lots_of(session, center, product) -> dict:
    session.expire_all()
    return {lot.batch: (lot.on_hand, lot.reserved, lot.expires_on) for lot in
            session.execute(sa.select(Lot).where(Lot.center_id == center.id,
                                                 Lot.product_id == product.id)).scalars()}


def test_a_transfer_moves_lots_first_expired_first_out(session, shop, tracked):
    product, made = tracked
    soon, mid, late = (made[b].expires_on for b in ("SOON", "MID", "LATE"))
    t = transfers.request_transfer(from_center=shop.hub, to_center=shop.store,
                                   product_id=product.id, quantity=6, actor=shop.clerk)
    transfers.ship_transfer(t, shop.hub_clerk)
    assert [(m.lot.batch, m.quantity) for m in t.lots] == [("SOON", 3), ("MID", 3)]
    assert lots_of(session, shop.hub, product) == {
        "SOON": (0, 0, soon), "MID": (1, 0, mid), "LATE": (5, 0, late)}
    transfers.receive_transfer(t, shop.clerk)
    assert lots_of(session, shop.store, product) == {
        "SOON": (3, 0, soon), "MID": (3, 0, mid)}
    moved = session.execute(sa.select(StockMovement.center_id, StockMovement.on_hand_delta)
                            .where(StockMovement.product_id == product.id,
                                   StockMovement.kind == "transferred",
                                   StockMovement.lot_id.is_not(None))
                            .order_by(StockMovement.id)).all()
    assert moved == [(shop.hub.id, -3), (shop.hub.id, -3), (shop.store.id, 3),
                     (shop.store.id, 3)]
    assert verify_ledger() == [] and verify_lots() == []


def test_reserved_lot_units_stay_for_their_order(session, shop, tracked):
    product, made = tracked
    order = place_order(shop.shopper, lines=[{"sku": product.sku, "quantity": 2}],
                        fulfillment={"method": "delivery", "address": {
                            "name": "王女士", "phone": "13812345678", "province": "上海市",
                            "city": "上海市", "district": "徐汇区", "street": "漕溪北路 88 号"}},
                        payment_method="cash_on_delivery")
    assert order.center_id == shop.hub.id
    t = transfers.request_transfer(from_center=shop.hub, to_center=shop.store,
                                   product_id=product.id, quantity=4, actor=shop.clerk)
    transfers.ship_transfer(t, shop.hub_clerk)
    # SOON has 2 of its 3 units promised to the order: the transfer takes 1, then MID.
    assert [(m.lot.batch, m.quantity) for m in t.lots] == [("SOON", 1), ("MID", 3)]
    assert lots_of(session, shop.hub, product)["SOON"] == (2, 2, made["SOON"].expires_on)
    assert verify_ledger() == [] and verify_lots() == []


def test_a_count_takes_from_lots_or_puts_units_into_one(session, shop, tracked, make_product,
                                                        clock):
    product, made = tracked
    desk.set_stock(shop.hub.id, product.id, 8, shop.hub_clerk)  # 4 missing: SOON 3, MID 1
    assert {b: v[0] for b, v in lots_of(session, shop.hub, product).items()} == {
        "SOON": 0, "MID": 3, "LATE": 5}
    with pytest.raises(ValidationFailed) as err:
        desk.set_stock(shop.hub.id, product.id, 10, shop.hub_clerk)
    assert "lot" in err.value.errors
    desk.set_stock(shop.hub.id, product.id, 10, shop.hub_clerk, lot={"lot_id": made["LATE"].id})
    desk.set_stock(shop.hub.id, product.id, 13, shop.hub_clerk,
                   lot={"batch": "NEW-1", "expires_on": clock.today() + timedelta(days=1000)})
    assert {b: v[0] for b, v in lots_of(session, shop.hub, product).items()} == {
        "SOON": 0, "MID": 3, "LATE": 7, "NEW-1": 3}
    with pytest.raises(ValidationFailed):  # another product's lot
        other = receive_lot(shop.hub.id, make_product().id, batch="X",
                            expires_on=clock.today() + timedelta(days=700), quantity=1,
                            actor=shop.hub_clerk)
        desk.set_stock(shop.hub.id, product.id, 14, shop.hub_clerk, lot={"lot_id": other.id})
    assert verify_ledger() == [] and verify_lots() == []


def test_verify_reports_lots_that_do_not_add_up(session, shop, tracked, runner):
    product, made = tracked
    assert runner.invoke(args=["stock", "verify"]).exit_code == 0
    session.execute(sa.update(Lot).where(Lot.id == made["MID"].id).values(on_hand=1))
    assert verify_lots() == [{"center_id": shop.hub.id, "product_id": product.id,
                              "on_hand": 12, "reserved": 0, "lots_on_hand": 9,
                              "lots_reserved": 0}]
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 1
    assert f"center {shop.hub.id} product {product.id}: on_hand 12 (lots 9)" in result.output


def test_desk_and_api_counts_ask_for_the_lot(client, session, shop, tracked, token_for, clock):
    from .test_desk_pages import login

    product, made = tracked
    headers = token_for(shop.hub_clerk)
    login(client, shop.hub_clerk)
    html = client.get("/desk/stock").get_data(as_text=True)
    assert 'data-testid="lot-choice"' in html
    refused = client.post(f"/desk/stock/{product.id}", data={"on_hand": "15"})
    assert refused.status_code == 400 and "kept in lots" in refused.get_data(as_text=True)
    assert client.post(f"/desk/stock/{product.id}", data={
        "on_hand": "15", "batch": "DESK-1",
        "expires_on": (clock.today() + timedelta(days=800)).isoformat()}).status_code == 302
    answer = client.put(f"/api/v1/staff/stock/{product.sku}", headers=headers, json={
        "on_hand": 17, "lot": {"lot_id": made["SOON"].id}})
    assert answer.status_code == 200, answer.get_json()
    bad = client.put(f"/api/v1/staff/stock/{product.sku}", headers=headers, json={
        "on_hand": 19, "lot": {"batch": "B", "expires_on": "soon"}})
    assert bad.status_code == 400 and bad.get_json()["code"] == "validation_error"
    assert {b: v[0] for b, v in lots_of(session, shop.hub, product).items()} == {
        "SOON": 5, "MID": 4, "LATE": 5, "DESK-1": 3}
    assert verify_ledger() == [] and verify_lots() == []
