"""GET /api/v1/staff/slots: the center's slots in the days ahead, booked and left; another
center's answers 404."""

from datetime import timedelta

import pytest

from core.clock import utcnow
from fulfillment.models import Slot

from .conftest import API, assert_error

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


@pytest.fixture()
def slots(session, shop):
    start = utcnow().replace(microsecond=0) + timedelta(hours=3)
    made = [Slot(center_id=center.id, kind=kind, starts_at=start + timedelta(days=day),
                 ends_at=start + timedelta(days=day, hours=2), capacity=4, taken=taken)
            for center, kind, day, taken in ((shop.store, "pickup", 0, 1),
                                             (shop.store, "pickup", 5, 4),
                                             (shop.store, "pickup", 20, 0),
                                             (shop.far_store, "pickup", 0, 2))]
    session.add_all(made)
    session.flush()
    return made


def test_staff_read_their_slots_with_places_booked_and_left(client, shop, token_for, slots):
    response = client.get(f"{API}/staff/slots", query_string={"days": 7},
                          headers=token_for(shop.clerk))
    assert response.status_code == 200
    body = response.get_json()
    assert body["center_id"] == shop.store.id
    assert [(s["id"], s["capacity"], s["booked"], s["left"]) for s in body["items"]] == [
        (slots[0].id, 4, 1, 3), (slots[1].id, 4, 4, 0)]
    wider = client.get(f"{API}/staff/slots", query_string={"days": 30},
                       headers=token_for(shop.clerk)).get_json()
    assert [s["id"] for s in wider["items"]] == [s.id for s in slots[:3]]


def test_another_centers_slots_are_404_and_bad_days_400(client, shop, token_for, slots):
    assert_error(client.get(f"{API}/staff/slots", query_string={"center_id": shop.far_store.id},
                            headers=token_for(shop.clerk)), 404, "not_found")
    for days in ("0", "61", "x"):
        assert_error(client.get(f"{API}/staff/slots", query_string={"days": days},
                                headers=token_for(shop.clerk)), 400, "validation_error")
    assert_error(client.get(f"{API}/staff/slots", headers=token_for(shop.shopper)),
                 403, "forbidden")
    admin = client.get(f"{API}/staff/slots", query_string={"center_id": shop.far_store.id},
                       headers=token_for(shop.admin)).get_json()
    assert [(s["id"], s["left"]) for s in admin["items"]] == [(slots[3].id, 2)]
