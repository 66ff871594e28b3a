"""Desk pages for transfers, lots and slots: a clerk on a phone works their own center's;
another center's staff get 404 (it does not exist for them), other roles 403."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from fulfillment.ledger import verify_ledger
from fulfillment.models import Lot, Slot, Stock, Transfer

from .test_desk_pages import login


def stock_figure(session, center, product, column=Stock.on_hand):
    """One column of the center's stock row of the product, as the database now holds it."""
    session.expire_all()
    return session.execute(sa.select(column).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one()


def on_hand(session, center, product) -> int:
    return stock_figure(session, center, product)


def test_transfer_requested_shipped_and_received_from_the_desks(client, session, shop):
    product = shop.products[0]
    login(client, shop.clerk)
    page = client.get("/desk/transfers")
    assert page.status_code == 200 and 'data-testid="transfer-form"' in page.get_data(
        as_text=True)
    response = client.post("/desk/transfers", data={
        "from_center_id": str(shop.hub.id), "product_id": str(product.id), "quantity": "4",
        "note": "周末备货"})
    assert response.status_code == 302
    transfer = session.execute(sa.select(Transfer)).scalar_one()
    assert (transfer.from_center_id, transfer.to_center_id, transfer.quantity,
            transfer.status) == (shop.hub.id, shop.store.id, 4, "requested")
    html = client.get("/desk/transfers").get_data(as_text=True)
    assert f'data-testid="transfer-{transfer.id}"' in html and "周末备货" in html
    # The requesting store cannot ship it; the hub can.
    client.post(f"/desk/transfers/{transfer.id}/ship")
    session.expire_all()
    assert session.get(Transfer, transfer.id).status == "requested"
    login(client, shop.hub_clerk)
    assert client.post(f"/desk/transfers/{transfer.id}/ship").status_code == 302
    assert on_hand(session, shop.hub, product) == 6
    login(client, shop.clerk)
    client.post(f"/desk/transfers/{transfer.id}/receive")
    session.expire_all()
    assert session.get(Transfer, transfer.id).status == "received"
    assert on_hand(session, shop.store, product) == 14
    assert verify_ledger() == []


def test_transfer_bad_input_changes_nothing(client, session, shop):
    login(client, shop.clerk)
    for data in ({"from_center_id": str(shop.hub.id), "product_id": str(shop.products[0].id),
                  "quantity": "0"},
                 {"from_center_id": str(shop.store.id), "product_id": str(shop.products[0].id),
                  "quantity": "2"},
                 {"from_center_id": "999999", "product_id": str(shop.products[0].id),
                  "quantity": "2"},
                 {"from_center_id": str(shop.hub.id), "product_id": "abc", "quantity": "2"}):
        response = client.post("/desk/transfers", data=data)
        assert response.status_code == 400, data
        assert 'class="errors"' in response.get_data(as_text=True) or "flash error" in \
            response.get_data(as_text=True)
    assert session.execute(sa.select(sa.func.count(Transfer.id))).scalar_one() == 0


def test_another_centers_staff_cannot_see_or_move_its_transfers(client, session, shop):
    from fulfillment import transfers

    t = transfers.request_transfer(from_center=shop.hub, to_center=shop.store,
                                   product_id=shop.products[0].id, quantity=2, actor=shop.clerk)
    session.commit()
    login(client, shop.far_clerk)
    assert client.get(f"/desk/transfers?center={shop.store.id}").status_code == 404
    assert f'transfer-{t.id}"' not in client.get("/desk/transfers").get_data(as_text=True)
    for step in ("ship", "receive", "cancel"):
        assert client.post(f"/desk/transfers/{t.id}/{step}").status_code == 404
    session.expire_all()
    assert session.get(Transfer, t.id).status == "requested"
    login(client, shop.agent)
    assert client.get("/desk/transfers").status_code == 403
    login(client, shop.clerk)
    client.post(f"/desk/transfers/{t.id}/cancel")
    session.expire_all()
    assert session.get(Transfer, t.id).status == "cancelled"


def test_lots_received_at_the_desk(client, session, shop, clock):
    product = shop.products[1]
    produced, later = clock.today() - timedelta(days=150), clock.today() + timedelta(days=600)
    login(client, shop.clerk)
    assert client.get("/desk/lots").status_code == 200
    response = client.post("/desk/lots", data={
        "product_id": str(product.id), "batch": "LN-2026-07", "produced_on": produced.isoformat(),
        "expires_on": later.isoformat(), "quantity": "12"})
    assert response.status_code == 302
    lot = session.execute(sa.select(Lot)).scalar_one()
    assert (lot.center_id, lot.batch, lot.on_hand, lot.produced_on, lot.received_by_id) == (
        shop.store.id, "LN-2026-07", 12, produced, shop.clerk.id)
    assert on_hand(session, shop.store, product) == 22
    assert 'data-testid="lot-LN-2026-07"' in client.get("/desk/lots").get_data(as_text=True)
    gone, before = clock.today() - timedelta(days=1), clock.today() - timedelta(days=30)
    for bad in ({"expires_on": ""},  # and expiring before it was made:
                {"expires_on": before.isoformat(), "produced_on": gone.isoformat()},
                {"quantity": "0"}, {"batch": ""}):
        data = dict({"product_id": str(product.id), "batch": "X", "expires_on": later.isoformat(),
                     "quantity": "1"}, **bad)
        assert client.post("/desk/lots", data=data).status_code == 400, bad
    assert session.execute(sa.select(sa.func.count(Lot.id))).scalar_one() == 1
    login(client, shop.far_clerk)
    assert client.get(f"/desk/lots?center={shop.store.id}").status_code == 404
    assert client.post(f"/desk/lots?center={shop.store.id}", data={
        "product_id": str(product.id), "batch": "X", "expires_on": later.isoformat(),
        "quantity": "1"}).status_code == 404
    assert session.execute(sa.select(sa.func.count(Lot.id))).scalar_one() == 1


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_slots_of_the_coming_days_with_places_left(client, session, shop, lang):
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    open_slot = Slot(center_id=shop.store.id, kind="pickup", starts_at=start,
                     ends_at=start + timedelta(hours=2), capacity=5, taken=2)
    full = Slot(center_id=shop.store.id, kind="pickup", starts_at=start + timedelta(hours=2),
                ends_at=start + timedelta(hours=4), capacity=3, taken=3)
    far_off = Slot(center_id=shop.store.id, kind="pickup", starts_at=start + timedelta(days=30),
                   ends_at=start + timedelta(days=30, hours=2), capacity=3, taken=0)
    other = Slot(center_id=shop.far_store.id, kind="pickup", starts_at=start,
                 ends_at=start + timedelta(hours=2), capacity=9, taken=0)
    session.add_all([open_slot, full, far_off, other])
    login(client, shop.clerk)
    client.set_cookie("lang", lang)
    html = client.get("/desk/slots").get_data(as_text=True)
    row = html.split(f'data-testid="slot-{open_slot.id}"')[1].split("</tr>")[0]
    assert "2 / 5" in row and '"left">3<' in row
    assert f'data-testid="slot-{full.id}"' in html
    assert f'slot-{far_off.id}"' not in html and f'slot-{other.id}"' not in html
    login(client, shop.far_clerk)
    assert client.get(f"/desk/slots?center={shop.store.id}").status_code == 404


def alert_of(session, center, product):
    return stock_figure(session, center, product, Stock.alert_below)


def test_low_stock_threshold_set_on_the_stock_page(client, session, shop):
    product = shop.products[0]
    login(client, shop.clerk)
    html = client.get("/desk/stock").get_data(as_text=True)
    assert 'data-testid="alert-form"' in html
    assert product.sku not in client.get("/desk").get_data(as_text=True)
    response = client.post(f"/desk/stock/{product.id}/alert", data={"alert_below": "12"})
    assert response.status_code == 302
    assert alert_of(session, shop.store, product) == 12
    # 10 available < 12: the desk's warning now names it.
    assert product.sku in client.get("/desk").get_data(as_text=True)
    page = client.get("/desk/stock").get_data(as_text=True)
    assert f'id="alert-{product.id}" name="alert_below" min="0" step="1" inputmode="numeric" ' \
           'value="12"' in page
    # Bad values are refused with the reason, and change nothing.
    for bad in ("-1", "abc", "100001"):
        response = client.post(f"/desk/stock/{product.id}/alert", data={"alert_below": bad})
        assert response.status_code == 400
        assert f'id="alert-err-{product.id}"' in response.get_data(as_text=True)
        assert alert_of(session, shop.store, product) == 12
    # An empty box turns the warning off.
    assert client.post(f"/desk/stock/{product.id}/alert", data={"alert_below": ""}
                       ).status_code == 302
    assert alert_of(session, shop.store, product) is None
    assert 'data-testid="low-stock"' not in client.get("/desk").get_data(as_text=True)


def test_low_stock_threshold_is_for_the_desk(client, session, shop):
    """Another center's level is refused in test_desk_pages; a shopper cannot set one."""
    product = shop.products[0]
    login(client, shop.shopper)
    assert client.post(f"/desk/stock/{product.id}/alert", data={"alert_below": "3"}
                       ).status_code in (302, 403)
    assert alert_of(session, shop.store, product) is None
