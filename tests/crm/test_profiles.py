"""Identify: prospects, the whole profile, family, tags, completeness, search, masking,
the access log."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today, utcnow
from core.errors import ValidationFailed
from crm.customers import profiles
from crm.customers.models import Customer, CustomerAccess
from crm.customers.services import customer_for_user, ensure_customer, search_customers
from storefront.loyalty.membership import sign_up_member
from storefront.orders import place_order
from tests.support.pages import login

FULL = {"name": "周敏", "phone": "+86 139-0000-1234", "email": "zhou.min@example.com",
        "gender": "female", "birthday": date(1991, 3, 8), "city": "上海市", "district": "静安区",
        "address": "南京西路 100 号", "occupation": "教师", "interests": "育儿, 烹饪",
        "source": "event", "preferred_channel": "phone", "preferred_time": "evening"}


def test_agent_enters_a_prospect(session, shop):
    prospect = profiles.create_prospect(shop.agent, {"name": "赵先生", "phone": "13700005555",
                                                     "source": "hotline"})
    assert (prospect.stage, prospect.user_id, prospect.source) == ("prospect", None, "hotline")
    assert prospect.created_by_id == shop.agent.id
    assert not prospect.marketing_consent and prospect.service_consent


def test_phone_is_normalized_and_checked(session, shop):
    prospect = profiles.create_prospect(shop.agent, FULL)
    assert prospect.phone == "13900001234"
    with pytest.raises(ValidationFailed) as err:
        profiles.create_prospect(shop.agent, {"name": "重复", "phone": "13900001234"})
    assert "phone" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        profiles.create_prospect(shop.agent, {"name": "错号", "phone": "12345"})
    assert "phone" in err.value.errors
    assert profiles.normalize_phone("021-64381234") == "02164381234"


@pytest.mark.parametrize("bad", [{"name": " "}, {"gender": "robot"}, {"preferred_time": "noon"},
                                 {"birthday": timedelta(days=1)}])  # tomorrow
def test_bad_profile_values_are_refused(session, shop, bad, clock):
    bad = {k: clock.today() + v if isinstance(v, timedelta) else v for k, v in bad.items()}
    with pytest.raises(ValidationFailed):
        profiles.create_prospect(shop.agent, {"name": "某人", **bad})


def test_completeness_names_what_is_missing(session, shop):
    customer = profiles.create_prospect(shop.agent, {"name": "钱女士", "phone": "13700001111"})
    percent, missing = profiles.completeness(customer)
    assert percent == round(100 * 3 / 14)  # name, phone, source
    assert "birthday" in missing and "family" in missing and "name" not in missing
    profiles.update_profile(customer, shop.agent, FULL | {"phone": "13700001111"})
    profiles.add_child(customer, birth_date=date(2025, 6, 1))
    assert profiles.completeness(customer) == (100, [])


def test_children_born_or_expected(session, shop):
    customer = profiles.create_prospect(shop.agent, {"name": "孙女士"})
    today = date(2026, 11, 23)
    with pytest.raises(ValidationFailed):
        profiles.add_child(customer, today=today)  # neither date
    with pytest.raises(ValidationFailed):
        profiles.add_child(customer, birth_date=date(2026, 12, 1), today=today)
    with pytest.raises(ValidationFailed):
        profiles.add_child(customer, due_date=today + timedelta(days=400), today=today)
    profiles.add_child(customer, due_date=date(2027, 3, 1), today=today)
    assert profiles.baby_age_months(customer, today) is None
    older = profiles.add_child(customer, name="大宝", birth_date=date(2023, 11, 24), today=today)
    profiles.add_child(customer, name="二宝", birth_date=date(2026, 5, 23), today=today)
    assert profiles.child_age_months(older, today) == 35
    assert profiles.baby_age_months(customer, today) == 6
    profiles.remove_child(customer, older.id)
    assert len(customer.children) == 2


def test_tags_by_hand(session, shop):
    customer = profiles.create_prospect(shop.agent, {"name": "吴先生"})
    profiles.add_tag(customer, shop.agent, "  Gift  Buyer ")
    profiles.add_tag(customer, shop.agent, "gift buyer")
    assert [t.tag for t in customer.tags] == ["gift buyer"]
    with pytest.raises(ValidationFailed):
        profiles.add_tag(customer, shop.agent, "x" * 41)
    profiles.remove_tag(customer, "gift buyer")
    assert customer.tags == []


def test_a_prospect_who_signs_up_with_a_proven_phone_keeps_one_profile(session, shop,
                                                                      make_user):
    prospect = profiles.create_prospect(shop.agent, {"name": "郑女士", "phone": "13600002222"})
    user = make_user(name="郑女士", phone="136-0000-2222")
    user.phone_verified_at = utcnow()  # signed up by a code sent to the phone
    assert ensure_customer(user).id == prospect.id
    assert customer_for_user(user.id).id == prospect.id
    assert session.execute(sa.select(sa.func.count(Customer.id)).where(
        Customer.phone == "13600002222")).scalar_one() == 1


def test_an_unproven_phone_or_email_gets_a_profile_of_its_own(session, shop, make_user):
    prospect = profiles.create_prospect(shop.agent, {"name": "郑女士", "phone": "13600002222",
                                                     "email": "zheng@example.org"})
    for user in (make_user(name="某人", phone="13600002222", email_verified=False),
                 make_user(name="某人", email="ZHENG@example.org", email_verified=False)):
        own = ensure_customer(user)
        assert own.id != prospect.id and own.user_id == user.id
    assert prospect.user_id is None


def test_membership_fills_the_profile_gaps(session, shop):
    baby = shop_today() - timedelta(days=100)
    sign_up_member(shop.shopper, name="王芳", phone="13900001111", baby_birthday=baby,
                   birthday=date(1992, 2, 2), city="杭州市")
    customer = customer_for_user(shop.shopper.id)
    assert customer.birthday == date(1992, 2, 2) and customer.city == "杭州市"
    assert [c.birth_date for c in customer.children] == [baby]


def test_search_by_order_number_and_card(session, shop, make_user):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    items, _ = search_customers(order.number)
    assert [c.user_id for c in items] == [shop.shopper.id]
    items, _ = search_customers(order.number.lower())
    assert [c.user_id for c in items] == [shop.shopper.id]

    member = make_user(name="卡主")
    sign_up_member(member, name="卡主", phone="13900002222")
    card = customer_for_user(member.id).card_number
    assert card
    for term in (card, card.lower(), f" {card} "):
        items, _ = search_customers(term)
        assert [c.user_id for c in items] == [member.id], term
    items, _ = search_customers(card[:-1] + ("0" if card[-1] != "0" else "1"))
    assert member.id not in [c.user_id for c in items]  # a card number matches whole


# --- pages ------------------------------------------------------------------------------------


def test_new_prospect_page(client, session, shop):
    login(client, shop.agent)
    assert client.get("/crm/customers/new").status_code == 200
    response = client.post("/crm/customers/new", data={"name": "", "phone": "abc",
                                                       "source": "event"})
    assert response.status_code == 400
    assert session.execute(sa.select(sa.func.count(Customer.id)).where(
        Customer.user_id.is_(None))).scalar_one() == 0
    response = client.post("/crm/customers/new", data={
        "name": "冯女士", "phone": "13500003333", "source": "event", "gender": "female",
        "service_consent": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    customer = session.execute(sa.select(Customer).where(Customer.name == "冯女士")).scalar_one()
    assert response.headers["Location"].endswith(f"/crm/customers/{customer.id}")
    page = client.get(f"/crm/customers/{customer.id}").get_data(as_text=True)
    assert "13500003333" in page  # whole on the 360
    assert "Missing:" in page and "Birthday" in page
    listing = client.get("/crm/customers?q=3333").get_data(as_text=True)
    assert "135****3333" in listing and "13500003333" not in listing


def test_edit_profile_family_and_tags_pages(client, session, shop):
    customer = profiles.create_prospect(shop.agent, {"name": "陈女士"})
    login(client, shop.agent)
    data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in FULL.items()}
    response = client.post(f"/crm/customers/{customer.id}/edit", data=data | {"name": "陈敏"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Customer, customer.id).occupation == "教师"
    assert client.post(f"/crm/customers/{customer.id}/children",
                       data={"birth_date": "2026-01-10"}).status_code == 302
    client.post(f"/crm/customers/{customer.id}/tags", data={"tag": "VIP 候选"})
    page = client.get(f"/crm/customers/{customer.id}").get_data(as_text=True)
    assert "vip 候选" in page and "born 2026-01-10" in page
    assert "Profile 100% complete" in page
    # a future birth date is refused and nothing changes
    response = client.post(f"/crm/customers/{customer.id}/children",
                           data={"birth_date": "2099-01-01"}, follow_redirects=True)
    assert "A birth date cannot lie in the future" in response.get_data(as_text=True)
    session.expire_all()
    assert len(session.get(Customer, customer.id).children) == 1
    client.post(f"/crm/customers/{customer.id}/tags/delete", data={"tag": "vip 候选"})
    session.expire_all()
    assert session.get(Customer, customer.id).tags == []


def test_access_log_for_admins_only(client, session, shop):
    customer = profiles.create_prospect(shop.agent, {"name": "褚先生", "phone": "13400004444"})
    login(client, shop.agent)
    client.get(f"/crm/customers/{customer.id}")
    assert client.get("/crm/access-log").status_code == 403
    login(client, shop.admin)
    page = client.get("/crm/access-log").get_data(as_text=True)
    assert shop.agent.name in page and "褚先生" in page
    assert "134****4444" in page and "13400004444" not in page
    assert session.execute(sa.select(sa.func.count(CustomerAccess.id))).scalar_one() == 1
    other = profiles.create_prospect(shop.agent, {"name": "卫女士", "phone": "13400005555"})
    client.get(f"/crm/customers/{other.id}")  # the admin opens another 360
    mine = client.get(f"/crm/access-log?staff={shop.admin.id}").get_data(as_text=True)
    assert "卫女士" in mine and "褚先生" not in mine
    theirs = client.get(f"/crm/access-log?staff={shop.agent.id}").get_data(as_text=True)
    assert "褚先生" in theirs and "卫女士" not in theirs


def test_api_360_has_the_whole_profile(client, session, shop, token_for):
    customer = profiles.create_prospect(shop.agent, FULL)
    profiles.add_child(customer, due_date=shop_today() + timedelta(days=30))
    profiles.add_tag(customer, shop.agent, "孕期")
    headers = token_for(shop.agent)
    session.commit()
    body = client.get(f"/api/v1/crm/customers/{customer.id}", headers=headers).get_json()
    profile = body["profile"]
    assert profile["occupation"] == "教师" and profile["preferred_time"] == "evening"
    assert profile["children"][0]["birth_date"] is None
    assert profile["tags"] == [{"tag": "孕期", "source": "manual"}]
    assert profile["completeness"] == 100 and profile["missing"] == []
    listing = client.get("/api/v1/crm/customers", query_string={"q": "1234"},
                         headers=headers).get_json()
    assert listing["items"][0]["phone"] == "139****1234"
