"""Finding 8: no CSV the shop writes lets a spreadsheet run a cell as a formula, and the
member's profile phone follows the VIP form's phone rule."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from core.clock import utcnow
from crm.club.events import register
from crm.club.models import Event
from crm.customers import segments
from crm.customers.services import ensure_customer
from storefront.loyalty.membership import sign_up_member
from tests.support.pages import login

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "fulfillment", "storefront", "crm", "demo")
FORMULA = re.compile(r"^[=+\-@\t\r|]")


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _formula_cells(rows) -> list[str]:
    return [cell for row in rows for cell in row if FORMULA.match(cell)]


def test_each_start_of_a_formula_is_neutralised_and_numbers_are_left_alone():
    from core.spreadsheet import safe_cell

    for start in ("=", "+", "-", "@", "\t", "\r", "|"):
        assert safe_cell(f"{start}1+2") == f"'{start}1+2"
    assert safe_cell("王丽") == "王丽" and safe_cell("a=b") == "a=b"
    assert safe_cell(None) == "" and safe_cell(-5) == -5 and safe_cell(12.5) == 12.5


def test_a_member_cannot_plant_a_formula_in_the_attendee_export(client, session, shop):
    member = sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    event = Event(title="品鉴会", starts_at=utcnow() + timedelta(days=3), city="上海市",
                  center_id=shop.store.id, capacity=5, seats_taken=0, tiers=[], interests=[],
                  cities=[])
    session.add(event)
    session.flush()
    register(event, member)
    login(client, shop.shopper)
    # The review's attack: a formula as the phone is refused, as on the VIP form.
    refused = client.post("/member/profile", data={
        "name": "=cmd|' /C calc'!A0", "phone": '=HYPERLINK("http://x.test")'})
    assert refused.status_code == 400
    assert "Please enter a phone number of digits" in refused.get_data(as_text=True)
    session.expire_all()
    assert (member.name, member.phone) == ("王丽", "13800000001")
    # A name is free text: it is saved, and the export shows it as text.
    saved = client.post("/member/profile", data={
        "name": "=cmd|' /C calc'!A0", "phone": "138 0000 0009"})
    assert saved.status_code == 302
    login(client, shop.agent)
    response = client.get(f"/crm/club/events/{event.id}/attendees.csv")
    assert response.status_code == 200
    rows = _rows(response.get_data(as_text=True))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert _formula_cells(rows) == []


def test_the_segment_export_neutralises_tabs_pipes_and_signs(session, shop, make_user):
    for name in ("|calc", "\t=1+2", "-2+3"):
        ensure_customer(make_user(name=name))
    segment = segments.save_segment(None, shop.agent, name="all", filters={})
    rows = _rows("".join(segments.export_csv(segment)))
    names = [row[1] for row in rows[1:]]
    assert {"'|calc", "'\t=1+2", "'-2+3"} <= set(names)
    assert _formula_cells(rows) == []


def test_the_dashboard_csv_neutralises_a_store_named_as_a_formula(client, session, shop,
                                                                   make_order):
    shop.store.name_en = shop.store.name_zh = "@SUM(1+1)*cmd|' /C calc'!A0"
    make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    login(client, shop.agent)
    response = client.get("/crm/dashboard/sales-by-center.csv")
    assert response.status_code == 200
    rows = _rows(response.get_data(as_text=True))
    assert rows[1][0] == "'@SUM(1+1)*cmd|' /C calc'!A0" and rows[1][2:] == ["1", "12800"]
    assert _formula_cells(rows) == []


def test_no_module_writes_csv_but_through_the_helper():
    """Every CSV the shop writes goes through ``core.spreadsheet``: no other writer."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "core" / "spreadsheet.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"\bcsv\.(writer|DictWriter)\(", line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "write CSV with core.spreadsheet.writer:\n" + "\n".join(found)


def test_the_profile_still_takes_a_real_number(session, shop, client):
    member = sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    login(client, shop.shopper)
    assert client.post("/member/profile", data={"name": "王丽", "phone": "+86 138-0000-0002"}
                       ).status_code == 302
    session.expire_all()
    assert session.execute(sa.select(type(member).phone).where(
        type(member).id == member.id)).scalar_one() == "+86 138-0000-0002"
