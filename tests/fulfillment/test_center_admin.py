"""Back office: a center's kinds, contact, weekly hours and holidays; zones; time windows."""

from datetime import date

import pytest
import sqlalchemy as sa

from core.models import Role
from fulfillment.models import Center, CenterDistrict, DeliveryZone, Slot, SlotWindow
from tests.support.forms import center_form
from tests.support.pages import login


def test_center_with_warehouse_contact_hours_and_holidays(client, shop, session):
    login(client, shop.admin)
    response = client.post("/admin/centers/new", data=center_form(
        code="wh-1", is_delivery="", is_warehouse="y", contact_person="李经理",
        weekly_hours="Sat 10:00-18:00\n周日 休息", holidays="2026-10-01 国庆\n2026-10-02"))
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    center = session.execute(sa.select(Center).where(Center.code == "WH-1")).scalar_one()
    assert center.kinds == ["warehouse"] and center.contact_person == "李经理"
    assert [(h.weekday, h.closed, h.opens_at) for h in center.hours] == [
        (5, False, "10:00"), (6, True, "00:00")]
    assert center.hours_on(date(2026, 11, 28)) == ("10:00", "18:00")  # a Saturday
    assert center.hours_on(date(2026, 11, 29)) is None  # Sunday: closed
    assert center.hours_on(date(2026, 10, 1)) is None  # holiday
    assert center.hours_on(date(2026, 11, 30)) == ("09:00", "20:30")
    page = client.get(f"/admin/centers/{center.id}/edit").get_data(as_text=True)
    assert "Sat 10:00-18:00" in page and "2026-10-01 国庆" in page


@pytest.mark.parametrize("overrides, message", [
    ({"weekly_hours": "Funday 10:00-12:00"}, "write a weekday and its hours"),
    ({"weekly_hours": "Sat 18:00-10:00"}, "write a weekday and its hours"),
    ({"holidays": "1 Oct"}, "write a date as YYYY-MM-DD"),
])
def test_bad_hours_are_form_errors(client, shop, session, overrides, message):
    login(client, shop.admin)
    response = client.post("/admin/centers/new", data=center_form(**overrides))
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_zones_on_the_delivery_page(client, shop, session):
    login(client, shop.admin)
    url = f"/admin/centers/{shop.hub.id}"
    assert client.get(f"{url}/delivery").status_code == 200
    response = client.post(f"{url}/zones", data={
        "zone-name": "徐汇近郊", "zone-fee": "15", "zone-free_over": "199.5",
        "zone-min_order": "", "zone-radius_km": "",
        "zone-districts": "上海市 上海市 徐汇区\n上海市 上海市 长宁区"})
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    zone = session.execute(sa.select(DeliveryZone)).scalar_one()
    assert (zone.fee_amount, zone.free_over_amount, zone.min_order_amount) == (1500, 19950, 0)
    assert sorted(d.district for d in zone.districts) == ["徐汇区", "长宁区"]
    # The center's edit page keeps the zone's districts out of its own list, and saving it
    # leaves the zone alone.
    edit = client.get(f"{url}/edit").get_data(as_text=True)
    assert "上海市 上海市 长宁区" not in edit
    # A district already in a zone cannot join another.
    again = client.post(f"{url}/zones", data={
        "zone-name": "again", "zone-fee": "5", "zone-districts": "上海市 上海市 徐汇区"})
    assert again.status_code == 400 and "Already in another zone" in again.get_data(as_text=True)
    client.post(f"{url}/zones/{zone.id}/delete")
    session.expire_all()
    assert session.execute(sa.select(DeliveryZone)).first() is None
    left = {d.district for d in session.execute(sa.select(CenterDistrict).where(
        CenterDistrict.center_id == shop.hub.id)).scalars()}
    assert left == {"静安区"}


def test_time_window_opens_slots(client, shop, session):
    login(client, shop.admin)
    url = f"/admin/centers/{shop.store.id}"
    response = client.post(f"{url}/windows", data={
        "window-kind": "pickup", "window-weekday": "", "window-starts": "14:00",
        "window-ends": "16:00", "window-capacity": "4"})
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    window = session.execute(sa.select(SlotWindow)).scalar_one()
    made = session.execute(sa.select(Slot).where(Slot.window_id == window.id)).scalars().all()
    # seven days ahead, today's only if it has not ended yet
    assert len(made) in (6, 7) and {s.capacity for s in made} == {4}
    bad = client.post(f"{url}/windows", data={
        "window-kind": "pickup", "window-starts": "16:00", "window-ends": "14:00",
        "window-capacity": "0"})
    assert bad.status_code == 400
    client.post(f"{url}/windows/{window.id}/delete")
    session.expire_all()
    assert session.execute(sa.select(Slot)).first() is None


def test_staff_cannot_reach_the_delivery_settings(client, shop, session, make_user):
    login(client, make_user(Role.STAFF, center=shop.hub))
    for url in (f"/admin/centers/{shop.hub.id}/delivery",):
        assert client.get(url).status_code in (302, 403)
    assert client.post(f"/admin/centers/{shop.hub.id}/zones", data={
        "zone-name": "x", "zone-fee": "1", "zone-radius_km": "3"}).status_code in (302, 403)
    assert session.execute(sa.select(DeliveryZone)).first() is None


def test_a_field_in_error_is_announced_and_tied_to_its_message(client, shop, session):
    login(client, shop.admin)
    response = client.post("/admin/centers/new", data=center_form(code=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<div class="flash error" role="alert">' in page
    assert 'aria-describedby="code-errors"' in page and 'id="code-errors"' in page
