"""Finding 16: one rule for phone numbers (``core.privacy``). Whole only for the person
themselves, in the customer center's 360, and for the desk working a delivery or courier
shipment (the courier calls); masked everywhere else: a pickup's contact and collector in
the staff API and on the desk, orders seen by anyone else, the attendee list, the recall
list of a lot."""

from datetime import timedelta

import sqlalchemy as sa

from core.privacy import mask_phone
from crm.club.events import register
from crm.club.models import Event
from fulfillment.lots import receive_lot
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order
from tests.api.conftest import API, delivery_body, pickup_body
from tests.conftest import delivery_address
from tests.support.pages import login

PHONE = "13812345678"
MASKED = "*******5678"


def _order(session, public_id) -> Order:
    session.expire_all()
    return session.execute(sa.select(Order).where(Order.public_id == public_id)).scalar_one()


def _queue_item(client, headers, f_id) -> dict:
    items = client.get(f"{API}/staff/fulfillments", headers=headers).get_json()["items"]
    return next(item for item in items if item["id"] == f_id)


def test_the_staff_api_masks_a_pickups_phones(client, session, shop, token_for, place):
    """The review's repro: the staff API's queue and steps showed a pickup's phones whole."""
    shop.shopper.phone = PHONE
    placed = place(shop.shopper, pickup_body(shop))
    assert placed.status_code == 201
    order = _order(session, placed.get_json()["id"])
    f_id, clerk = order.fulfillment.id, token_for(shop.clerk)
    item = _queue_item(client, clerk, f_id)
    assert item["contact_phone"] == MASKED
    assert client.post(f"{API}/staff/fulfillments/{f_id}/ready", headers=clerk).status_code == 200
    code = _order(session, placed.get_json()["id"]).fulfillment.pickup_code
    done = client.post(f"{API}/staff/fulfillments/{f_id}/handover", headers=clerk, json={
        "code": code, "collector": {"name": "张阿姨", "phone": "13911112222"},
        "collected": {"method": "cash"}})
    assert done.status_code == 200
    body = done.get_json()
    assert (body["contact_phone"], body["collector_phone"]) == (MASKED, "*******2222")
    assert PHONE not in done.get_data(as_text=True)
    # the order's page for the store's clerk: no phone whole either
    login(client, shop.clerk)
    assert PHONE not in client.get(f"/orders/{order.public_id}").get_data(as_text=True)


def test_a_delivery_shows_its_phone_to_the_desk_that_delivers_and_no_one_else(
        client, session, shop, token_for, place):
    placed = place(shop.shopper, delivery_body(shop, delivery_address(phone=PHONE)))
    assert placed.status_code == 201
    public_id = placed.get_json()["id"]
    order = _order(session, public_id)
    hub, agent = token_for(shop.hub_clerk), token_for(shop.agent)
    # the delivering desk: whole, in the API, on the desk and on the order's page
    item = _queue_item(client, hub, order.fulfillment.id)
    assert item["contact_phone"] == PHONE and item["address"]["phone"] == PHONE
    login(client, shop.hub_clerk)
    assert PHONE in client.get(f"/desk?center={shop.hub.id}&method=delivery").get_data(
        as_text=True)
    assert PHONE in client.get(f"/orders/{public_id}").get_data(as_text=True)
    # the customer center outside the 360: masked, on the page and in the API
    login(client, shop.agent)
    page = client.get(f"/orders/{public_id}").get_data(as_text=True)
    assert PHONE not in page and MASKED in page
    seen = client.get(f"{API}/orders/{public_id}", headers=agent).get_json()
    assert seen["contact_phone"] == MASKED and seen["fulfillment"]["address"]["phone"] == MASKED
    # the owner: their own number
    own = client.get(f"{API}/orders/{public_id}", headers=token_for(shop.shopper)).get_json()
    assert own["contact_phone"] == PHONE and own["fulfillment"]["address"]["phone"] == PHONE


def test_the_attendee_export_masks_phones(client, session, shop, clock):
    member = sign_up_member(shop.shopper, name="王丽", phone=PHONE)
    event = Event(title="品鉴会", starts_at=clock.now + timedelta(days=3), city="上海市",
                  center_id=shop.store.id, capacity=5, seats_taken=0, tiers=[], interests=[],
                  cities=[])
    session.add(event)
    session.flush()
    register(event, member)
    login(client, shop.agent)
    text = client.get(f"/crm/club/events/{event.id}/attendees.csv").get_data(as_text=True)
    assert member.card_number in text and PHONE not in text and MASKED in text


def test_the_recall_list_of_a_lot_masks_phones(client, session, shop, make_user, clock,
                                                place):
    product = shop.products[0]
    lot = receive_lot(shop.store.id, product.id, batch="NF2611A", quantity=5,
                      expires_on=clock.today() + timedelta(days=30), actor=shop.admin)
    buyer = make_user(name="钱女士", phone="13700002222")
    assert place(buyer, pickup_body(shop)).status_code == 201
    login(client, shop.admin)
    page = client.get(f"/admin/lots/{lot.id}").get_data(as_text=True)
    assert "钱女士" in page and "13700002222" not in page and mask_phone("13700002222") in page
