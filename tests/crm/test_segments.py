"""Needs tags from editable rules, saved segments with a live count and CSV export, the CSV
import with its preview."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today, utcnow
from core.errors import ValidationFailed
from crm.customers import importing, profiles, segments, tagging
from crm.customers.figures import recompute_figures
from crm.customers.models import Customer, CustomerTag, SavedSegment, TagRule
from crm.customers.services import ensure_customer
from tests.support.pages import login

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def tags_of(session, customer):
    return sorted(session.execute(sa.select(CustomerTag.tag).where(
        CustomerTag.customer_id == customer.id)).scalars())


def test_default_rules_come_with_the_schema(session):
    rules = session.execute(sa.select(TagRule).order_by(TagRule.id)).scalars().all()
    assert [(r.tag, r.kind, r.params) for r in rules] == [
        (t, k, p) for t, k, p in tagging.DEFAULT_RULES]
    assert all(tagging.describe(r) for r in rules)


def test_rules_tag_and_untag(session, shop, make_user, make_product, make_order):
    from storefront.models import Category

    gifts = session.execute(sa.select(Category).where(Category.slug == "gift-boxes")
                            ).scalar_one_or_none() or Category(slug="gift-boxes", name_zh="礼盒")
    box = make_product(category=gifts)
    today = shop_today()
    parent = profiles.create_prospect(shop.agent, {"name": "育儿妈妈"})
    profiles.add_child(parent, birth_date=today - timedelta(days=100))
    expecting = profiles.create_prospect(shop.agent, {"name": "准妈妈"})
    profiles.add_child(expecting, due_date=today + timedelta(days=60))
    gifter = ensure_customer(shop.shopper)
    make_order(shop.shopper, box, shop.store)
    profiles.add_tag(gifter, shop.agent, "礼品客户")  # by hand as well: kept, not doubled
    recompute_figures(utcnow())

    assert tagging.apply_tag_rules(utcnow()) == "2 tag(s) added, 0 removed"
    assert tags_of(session, parent) == ["0-6月龄宝宝"]
    assert tags_of(session, expecting) == ["孕期"]
    assert tags_of(session, gifter) == ["礼品客户"]
    assert tagging.apply_tag_rules(utcnow()) == "0 tag(s) added, 0 removed"  # idempotent

    # an agent edits the baby rule: 0-3 months; the tag goes
    rule = session.execute(sa.select(TagRule).where(TagRule.tag == "0-6月龄宝宝")).scalar_one()
    tagging.save_rule(rule, shop.admin, tag="0-6月龄宝宝", kind="baby_age",
                      params={"min_months": 0, "max_months": 3})
    assert tagging.apply_tag_rules(utcnow()) == "0 tag(s) added, 1 removed"
    assert tags_of(session, parent) == []
    # switched off: no rule gives the tag any more; hand-set tags stay
    for r in session.execute(sa.select(TagRule).where(TagRule.tag == "礼品客户")).scalars():
        r.active = False
    tagging.apply_tag_rules(utcnow())
    assert tags_of(session, gifter) == ["礼品客户"]


def test_delivery_only_and_addresses(session, shop, make_user, make_order):
    from fulfillment.models import Fulfillment

    user = make_user()
    for n, street in enumerate(("A 路 1 号", "B 路 2 号", "C 路 3 号")):
        order = make_order(user, shop.products[0], shop.hub, days_ago=n + 1)
        order.fulfillment_method = "delivery"
        session.add(Fulfillment(order_id=order.id, center_id=shop.hub.id, method="delivery",
                                status="delivered", address={"district": "徐汇区",
                                                             "street": street}))
    customer = ensure_customer(user)
    recompute_figures(utcnow())
    tagging.apply_tag_rules(utcnow())
    assert tags_of(session, customer) == ["省时客户", "礼品客户"]


@pytest.mark.parametrize("kind, params", [
    ("baby_age", {"min_months": 6, "max_months": 3}), ("baby_age", {"min_months": "x"}),
    ("bought_category", {"category": "no-such"}), ("delivery_addresses", {"min_addresses": 1}),
    ("teleport", {})])
def test_bad_rules_are_refused(session, shop, kind, params):
    with pytest.raises(ValidationFailed):
        tagging.save_rule(None, shop.admin, tag="x", kind=kind, params=params)


def test_saved_segment_counts_and_exports(session, shop, make_user, make_order):
    buyers = [make_user(name=f"买家{k}", phone=f"1390000{k:04d}") for k in range(3)]
    for k, user in enumerate(buyers):
        for n in range(k + 1):
            make_order(user, shop.products[1], shop.store, days_ago=10 + n)
        ensure_customer(user)
    recompute_figures(utcnow())
    c0 = ensure_customer(buyers[0])
    c0.marketing_consent = True
    profiles.add_tag(c0, shop.agent, "=cmd")
    segment = segments.save_segment(None, shop.agent, name="常客", filters={
        "min_frequency": "2", "stages": ["repeat"]})
    assert segment.filters == {"min_frequency": 2, "stages": ["repeat"]}
    assert segments.count(segment.filters) == 2
    clean = segments.clean_filters
    assert segments.count(clean({"marketing_consent": "1", "tags": "=CMD"})) == 1
    assert segments.count(clean({"min_monetary": 39800 * 3})) == 1
    assert segments.count(clean({"max_recency_days": 5})) == 0
    with pytest.raises(ValidationFailed):
        segments.save_segment(None, shop.agent, name="常客", filters={})
    with pytest.raises(ValidationFailed):
        segments.clean_filters({"stages": ["royalty"]})
    with pytest.raises(ValidationFailed):
        segments.clean_filters({"hack": 1})
    text = "".join(segments.export_csv(segments.save_segment(
        None, shop.agent, name="all", filters={})))
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,name,phone")
    assert len(lines) == 4 and "'=cmd" in text and "13900000000" in text


CSV = """姓名,手机,邮箱,性别,生日,城市,宝宝生日,同意营销
王丽,13811112222,wang.li@example.com,女,1990-05-06,上海市,2026-01-05,是
,13811113333,,,,,,
李强,12345,,男,,,,
赵敏,13811114444,,女,1988/7/8,杭州市,,否
王丽二号,13811112222,,,,,,
张三,,zhang@example.com,m,1990-13-01,,,
"""


def test_import_preview_then_import_once(session, shop):
    profiles.create_prospect(shop.agent, {"name": "老客户", "phone": "13811114444"})
    before = session.execute(sa.select(sa.func.count(Customer.id))).scalar_one()
    preview = importing.preview(CSV.encode("gb18030"))
    assert [line for line, _ in preview.rows] == [2]
    assert [line for line, _ in preview.known] == [5, 6]
    assert [line for line, _ in preview.bad] == [3, 4, 7]
    assert len(preview.bad[0][1]) == 1  # the name is missing
    assert session.execute(sa.select(sa.func.count(Customer.id))).scalar_one() == before

    importing.import_customers(CSV.encode("utf-8-sig"), shop.agent)
    wang = session.execute(sa.select(Customer).where(Customer.name == "王丽")).scalar_one()
    assert (wang.source, wang.gender, wang.birthday, wang.marketing_consent) == (
        "import", "female", date(1990, 5, 6), True)
    assert [c.birth_date for c in wang.children] == [date(2026, 1, 5)]
    again = importing.import_customers(CSV.encode("utf-8"), shop.agent)
    assert again.rows == [] and [line for line, _ in again.known] == [2, 5, 6]
    assert session.execute(sa.select(sa.func.count(Customer.id))).scalar_one() == before + 1


def test_import_needs_a_name_column(session):
    with pytest.raises(ValidationFailed):
        importing.preview(b"foo,bar\n1,2\n")
    with pytest.raises(ValidationFailed):
        importing.preview(b"\xff\xfe\x00\x00garbage\xff")


# --- pages and the command line ---------------------------------------------------------------


def test_segment_pages_live_count_and_export(client, session, shop, make_user, make_order):
    make_order(shop.shopper, shop.products[0], shop.store)
    ensure_customer(shop.shopper)
    recompute_figures(utcnow())
    login(client, shop.agent)
    assert client.get("/crm/segments").status_code == 200
    live = client.post("/crm/segments/count", data={"stages": ["first_time"]}).get_json()
    assert live == {"count": 1}
    assert client.post("/crm/segments/count", data={"stages": ["nope"]}).status_code == 400
    response = client.post("/crm/segments/new", data={"name": "", "stages": ["first_time"]})
    assert response.status_code == 400
    response = client.post("/crm/segments/new", data={"name": "首购", "stages": ["first_time"],
                                                      "marketing_consent": ""})
    assert response.status_code == 302
    segment = session.execute(sa.select(SavedSegment)).scalar_one()
    page = client.get(f"/crm/segments/{segment.id}").get_data(as_text=True)
    assert "1 customer" in page
    export = client.get(f"/crm/segments/{segment.id}/export.csv")
    assert export.mimetype == "text/csv" and shop.shopper.email in export.get_data(as_text=True)
    assert "1 customer" in client.get("/crm/segments").get_data(as_text=True)


def test_tag_rule_pages(client, session, shop, make_user):
    login(client, make_user())
    assert client.get("/crm/tag-rules/new").status_code == 403  # a shopper
    login(client, shop.agent)  # agents read and edit the rules, as admins do
    listing = client.get("/crm/tag-rules").get_data(as_text=True)
    assert "孕期" in listing and 'href="/crm/tag-rules/new"' in listing
    rule = session.execute(sa.select(TagRule).where(TagRule.tag == "孕期")).scalar_one()
    assert f'href="/crm/tag-rules/{rule.id}"' in listing
    assert client.get(f"/crm/tag-rules/{rule.id}").status_code == 200
    response = client.post(f"/crm/tag-rules/{rule.id}", data={
        "tag": "孕期", "kind": rule.kind, "active": ""})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(TagRule, rule.id).active is False
    login(client, shop.admin)
    response = client.post("/crm/tag-rules/new", data={
        "tag": "大客户宝宝", "kind": "baby_age", "min_months": "3", "max_months": "1",
        "active": "y"})
    assert response.status_code == 400
    response = client.post("/crm/tag-rules/new", data={
        "tag": "大宝宝", "kind": "baby_age", "min_months": "36", "max_months": "72",
        "active": "y"})
    assert response.status_code == 302
    assert session.execute(sa.select(TagRule).where(TagRule.tag == "大宝宝")).scalar_one()


def test_import_page_preview_and_confirm(client, session, shop):
    from io import BytesIO

    login(client, shop.agent)
    response = client.post("/crm/import", data={"file": (BytesIO(CSV.encode()), "old.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Line 3: the name is missing" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    assert session.execute(sa.select(Customer).where(Customer.name == "王丽")).first() is None
    response = client.post("/crm/import", data={"token": token})
    assert response.status_code == 302
    assert session.execute(sa.select(Customer).where(Customer.name == "王丽")).first()
    response = client.post("/crm/import", data={"token": token})  # used up
    assert response.status_code == 302
    assert client.post("/crm/import", data={"token": "../../etc"}).status_code == 302


def test_cli_import_and_export(session, runner, shop, tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(CSV.encode())
    result = runner.invoke(args=["crm", "import-customers", str(path), "--dry-run"])
    assert "would import 2, skipped 1 known, 3 bad row(s)" in result.output
    result = runner.invoke(args=["crm", "import-customers", str(path)])
    assert "imported 2" in result.output
    segments.save_segment(None, shop.agent, name="导入", filters={})
    session.commit()
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["crm", "export-segment", "导入", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "王丽" in out.read_text(encoding="utf-8")


def test_a_sheet_cell_with_a_control_character_is_a_bad_row(session, shop):
    """A NUL that a spreadsheet left in a cell is reported on its line, not stored (on
    PostgreSQL storing it would fail the whole import)."""
    sheet = "姓名,手机,城市\n王丽,13811112222,上海\x00市\n赵敏,13811114444,杭州市\n"
    before = session.execute(sa.select(sa.func.count(Customer.id))).scalar_one()
    preview = importing.preview(sheet.encode("utf-8"))
    assert [line for line, _ in preview.rows] == [3]
    [(line, errors)] = preview.bad
    assert line == 2 and errors == ["city 含有非文本字符"]  # the shop speaks zh_CN
    importing.import_customers(sheet.encode("utf-8"), shop.agent)
    names = session.execute(sa.select(Customer.name).where(Customer.source == "import")).all()
    assert names == [("赵敏",)]
    assert session.execute(sa.select(sa.func.count(Customer.id))).scalar_one() == before + 1
