"""Delivery zones and a center's districts are defined by the divisions' codes: the admin
picks them (the picker writes "code names" lines), or types a code, or Chinese or English
names; a line that names no district is a form error and nothing is written."""

import pytest
import sqlalchemy as sa

from core.errors import ValidationFailed
from fulfillment.admin_services import format_districts, parse_districts
from fulfillment.models import CenterDistrict, DeliveryZone
from tests.support.forms import center_form
from tests.support.pages import login

XUHUI = ("上海市", "上海市", "徐汇区")


@pytest.mark.parametrize("line", [
    "310104", "310104 上海市 上海市 徐汇区", "310104 Shanghai / Shanghai / Xuhui District",
    "上海市 上海市 徐汇区", "上海 上海 徐汇", "上海,上海,徐汇",
    "Shanghai / Shanghai / Xuhui District",
    "shanghai, shanghai, xuhui", "  310104  ",
])
def test_a_line_names_a_district_however_it_is_written(line):
    assert parse_districts(line) == [XUHUI]


def test_the_same_district_written_twice_is_one():
    assert parse_districts("310104\n上海 上海 徐汇\n\nShanghai/Shanghai/Xuhui District\n"
                           "浙江 杭州 滨江") == [XUHUI, ("浙江省", "杭州市", "滨江区")]


def test_lines_that_name_no_district_are_each_refused():
    with pytest.raises(ValidationFailed) as err:
        parse_districts("310104\n上海 上海 火星\n999999\n310000\nShanghai Xuhui")
    problems = err.value.errors["districts"]
    assert [p.split(" ")[1] for p in problems] == ["2", "3", "4", "5"]


def test_the_zone_form_takes_the_pickers_codes(client, shop, session):
    login(client, shop.admin)
    url = f"/admin/centers/{shop.hub.id}"
    response = client.post(f"{url}/zones", data={
        "zone-name": "徐汇长宁", "zone-fee": "12",
        "zone-districts": "310104 上海市 上海市 徐汇区\n310105 Shanghai / Shanghai / Changning"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    session.expire_all()
    zone = session.execute(sa.select(DeliveryZone)).scalar_one()
    assert sorted((d.district_code, d.district) for d in zone.districts) == [
        ("310104", "徐汇区"), ("310105", "长宁区")]
    # the center's 徐汇区 row moved into the zone: one row for the district, not two
    rows = session.execute(sa.select(CenterDistrict).where(
        CenterDistrict.center_id == shop.hub.id, CenterDistrict.district_code == "310104")
    ).scalars().all()
    assert len(rows) == 1 and rows[0].zone_id == zone.id
    html = client.get(f"{url}/delivery").get_data(as_text=True)
    assert "Xuhui District; Changning District" in html


def test_a_district_typed_another_way_is_still_the_one_in_a_zone(client, shop, session):
    login(client, shop.admin)
    url = f"/admin/centers/{shop.hub.id}"
    assert client.post(f"{url}/zones", data={
        "zone-name": "徐汇", "zone-fee": "5", "zone-districts": "310104"}).status_code == 302
    again = client.post(f"{url}/zones", data={
        "zone-name": "again", "zone-fee": "5", "zone-districts": "Shanghai/Shanghai/Xuhui"})
    assert again.status_code == 400 and "Already in another zone" in again.get_data(
        as_text=True)


def test_a_bad_line_is_a_form_error_and_writes_nothing(client, shop, session):
    login(client, shop.admin)
    url = f"/admin/centers/{shop.hub.id}"
    response = client.post(f"{url}/zones", data={
        "zone-name": "火星", "zone-fee": "5", "zone-districts": "310104\n上海 上海 火星区"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Line 2 (上海 上海 火星区) is not a district of the national divisions" in html
    session.expire_all()
    assert session.execute(sa.select(DeliveryZone)).first() is None
    response = client.post("/admin/centers/new", data=center_form(
        districts="浙江省 杭州市 西湖区\nZhejiang / Hangzhou / Nowhere"))
    assert response.status_code == 400
    assert "Line 2 (Zhejiang / Hangzhou / Nowhere)" in response.get_data(as_text=True)


def test_the_center_form_keeps_districts_by_code_in_the_readers_language(client, shop,
                                                                          session):
    login(client, shop.admin)
    response = client.post("/admin/centers/new", data=center_form(
        districts="330106\nZhejiang / Hangzhou / Shangcheng District\n浙江 杭州 西湖"))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    from fulfillment.models import Center

    session.expire_all()
    center = session.execute(sa.select(Center).where(Center.code == "HZ-XH")).scalar_one()
    assert sorted(d.district_code for d in center.districts) == ["330102", "330106"]
    assert format_districts(center) == ("330106 浙江省 杭州市 西湖区\n330102 浙江省 杭州市 上城区")
    edit = client.get(f"/admin/centers/{center.id}/edit").get_data(as_text=True)
    assert "330102 Zhejiang / Hangzhou / Shangcheng District" in edit  # an English admin
