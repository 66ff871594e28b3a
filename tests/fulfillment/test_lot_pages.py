"""Back office: receive a lot, find it, and see who received it (the recall page)."""

from datetime import timedelta

import sqlalchemy as sa

from core.clock import shop_today
from core.models import Role
from fulfillment.ledger import verify_ledger
from fulfillment.models import Lot
from storefront.orders import place_order
from tests.support.pages import login


def receive(client, shop, product, **overrides):
    data = {"center_id": str(shop.store.id), "sku": product.sku, "batch": "NF2611A",
            "produced_on": "2026-06-01",
            "expires_on": (shop_today() + timedelta(days=365)).isoformat(),
            "quantity": "6"}
    data.update(overrides)
    return client.post("/admin/lots", data=data)


def test_receive_a_lot_and_recall_it(client, shop, session, make_user):
    product = shop.products[0]
    login(client, shop.admin)
    response = receive(client, shop, product)
    assert response.status_code == 302, response.get_data(as_text=True)
    lot = session.execute(sa.select(Lot)).scalar_one()
    assert (lot.batch, lot.on_hand, lot.received_by_id) == ("NF2611A", 6, shop.admin.id)
    buyer = make_user(name="钱女士", phone="13700002222")
    place_order(buyer, lines=[{"sku": product.sku, "quantity": 2}],
                fulfillment={"method": "pickup", "center_id": shop.store.id},
                payment_method="pay_at_pickup")
    session.commit()
    listing = client.get("/admin/lots?batch=2611").get_data(as_text=True)
    assert "NF2611A" in listing and f"/admin/lots/{lot.id}" in listing
    recall = client.get(f"/admin/lots/{lot.id}").get_data(as_text=True)
    # the buyer by name, the phone masked: the customer center calls them (core.privacy)
    assert "钱女士" in recall and "*******2222" in recall and "13700002222" not in recall
    assert "<td>reserved</td>" not in recall  # the state in words, not its code
    assert "/crm/recalls?lot=NF2611A" in recall  # the customer center takes it from here
    found = client.get("/crm/recalls?lot=NF2611A")
    assert found.status_code == 200 and "NF2611A" in found.get_data(as_text=True)
    assert verify_ledger() == []


def test_bad_lot_input_is_a_form_error(client, shop, session, clock):
    """Each bad value alone, with the reason the form gives for it."""
    login(client, shop.admin)
    soon, later = clock.today() + timedelta(days=5), clock.today() + timedelta(days=10)
    for bad, reason in (({"sku": "NOPE"}, "Unknown product"),
                        ({"quantity": "0"}, "Number must be"),
                        ({"produced_on": later.isoformat(), "expires_on": soon.isoformat()},
                         "The expiry date must be after the production date.")):
        response = receive(client, shop, shop.products[0], **bad)
        assert response.status_code == 400, bad
        assert reason in response.get_data(as_text=True), bad
    assert session.execute(sa.select(Lot)).first() is None


def test_only_admins_see_lots(client, shop, session, make_user):
    login(client, make_user(Role.STAFF, center=shop.store))
    assert client.get("/admin/lots").status_code in (302, 403)
