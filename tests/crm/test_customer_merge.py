"""One person, two profiles: the 360's "possible same person", merging one profile into
another (by an agent, or when the account proves the contact), and what a merge moves."""

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from core.clock import utcnow
from core.extensions import db
from core.models import Role
from core.signals import contact_verified, user_registered
from crm.care import goodwill
from crm.care.complaints import open_complaint
from crm.customers import merging, profiles
from crm.customers.erasure import anonymize_person
from crm.customers.models import Customer, CustomerAccess, CustomerMerge, SavedSegment
from crm.customers.services import customer_360, customer_for_user, ensure_customer
from crm.followups.models import FollowUp
from crm.outreach.models import Campaign, OutboxMessage
from storefront.coupon_models import Coupon
from tests.support.pages import login

API = "/api/v1"


def call(customer, reason, **extra):
    row = FollowUp(customer_id=customer.id, kind="campaign", reason=reason, due_at=utcnow(),
                   **extra)
    db.session.add(row)
    db.session.flush()
    return row


def campaign(session, agent):
    segment = SavedSegment(name=f"seg-{agent.id}", filters={})
    row = Campaign(name="春季回访", segment=segment, channel="phone", script="您好 {name}",
                   created_by_id=agent.id)
    session.add(row)
    session.flush()
    return row


@pytest.fixture()
def pair(session, shop):
    """``account``: the profile of a shopper's account; ``prospect``: the same person entered
    by an agent, with a history of its own. The account has proven no contact yet."""
    shop.shopper.email_verified_at = None
    account = ensure_customer(shop.shopper)
    open_complaint(actor=shop.agent, customer=account, category="delivery", description="晚到")
    profiles.add_tag(account, shop.agent, "gift buyer")
    prospect = profiles.create_prospect(shop.agent, {
        "name": "王芳", "phone": "13912345678", "email": shop.shopper.email.upper(),
        "city": "上海市", "occupation": "教师", "notes": "prefers evening calls",
        "marketing_consent": True})
    open_complaint(actor=shop.agent, customer=prospect, category="quality", description="过敏")
    profiles.add_tag(prospect, shop.agent, "gift buyer")
    profiles.add_tag(prospect, shop.agent, "expecting")
    profiles.add_child(prospect, name="小宝", birth_date=shop.birthday)
    call(prospect, "call:1", notes="called, will buy in May")
    session.add(OutboxMessage(channel="sms", kind="birthday", purpose="service",
                              customer_id=prospect.id, to="13912345678", body="生日快乐"))
    customer_360(prospect, shop.agent)
    session.flush()
    return account, prospect


def test_a_merge_moves_every_row_and_keeps_both_histories(session, shop, pair):
    account, prospect = pair
    absorbed_id = prospect.id
    kept = merging.merge_customers(account, prospect, actor=shop.agent)

    assert kept is account and session.get(Customer, absorbed_id) is None
    for table, column in merging._references():  # nothing points at the removed profile
        assert session.execute(sa.select(sa.func.count()).select_from(table)
                               .where(column == absorbed_id)).scalar_one() == 0, table.name
    view = customer_360(account, shop.agent)
    assert sorted(c.description for c in view["complaints"]) == ["晚到", "过敏"]
    assert "called, will buy in May" in [f.notes for f in view["followups"]]
    assert sorted(t.tag for t in account.tags) == ["expecting", "gift buyer"]  # one of each
    assert [c.name for c in account.children] == ["小宝"]
    assert set(session.execute(sa.select(OutboxMessage.customer_id)).scalars()) == {account.id}
    assert session.execute(sa.select(sa.func.count()).select_from(CustomerAccess).where(
        CustomerAccess.customer_id == account.id)).scalar_one() == 2
    # empty fields filled, the e-mail kept as the account has it, the notes appended
    assert (account.phone, account.city, account.occupation) == ("13912345678", "上海市", "教师")
    assert account.email == shop.shopper.email and account.user_id == shop.shopper.id
    assert "prefers evening calls" in account.notes and f"{absorbed_id}" in account.notes
    assert "王芳" in account.notes  # the other name is not lost
    assert account.marketing_consent is False  # the account's profile never agreed
    [record] = session.execute(sa.select(CustomerMerge)).scalars().all()
    assert (record.customer_id, record.absorbed_id, record.actor_id, record.reason) == (
        account.id, absorbed_id, shop.agent.id, "agent")
    assert record.moved["complaints"] == 1 and record.moved["customer_tags"] == 1
    assert record.duplicates == {"customer_tags": 1}


def test_a_profile_with_an_account_merged_into_a_prospect_brings_the_account(
        session, shop, pair, make_order):
    account, prospect = pair
    make_order(shop.shopper, shop.products[0], shop.store)
    goodwill.give_coupon(account, amount=500, minimum_amount=None, valid_days=10, note="久等",
                         actor=shop.agent)
    merging.merge_customers(prospect, account, actor=shop.agent)
    assert prospect.user_id == shop.shopper.id and customer_for_user(shop.shopper.id) is prospect
    assert prospect.orders_count == 1 and prospect.stage == "first_time"
    [coupon] = session.execute(sa.select(Coupon)).scalars().all()
    assert coupon.user_id == shop.shopper.id  # coupons, orders, points are the account's
    assert sorted(c.description for c in customer_360(prospect, shop.agent)["complaints"]) == [
        "晚到", "过敏"]


def test_refused_merges_change_nothing(session, shop, pair, make_user):
    account, prospect = pair
    other = ensure_customer(make_user())
    for keep, absorb, words in ((prospect, prospect, "itself"),
                                (account, other, "Both profiles have a shop account")):
        with pytest.raises(merging.CannotMerge) as err:
            merging.merge_customers(keep, absorb, actor=shop.agent)
        with force_locale("en"):
            assert words in str(err.value.message) and err.value.status == 409
    anonymize_person(shop.shopper)
    with pytest.raises(merging.CannotMerge):
        merging.merge_customers(prospect, account, actor=shop.agent)
    assert session.execute(sa.select(sa.func.count()).select_from(CustomerMerge)).scalar() == 0
    assert session.get(Customer, prospect.id).user_id is None


def test_an_open_call_of_the_same_campaign_is_not_made_twice(session, shop, pair):
    account, prospect = pair
    spring = campaign(session, shop.agent)
    call(account, "campaign:a", campaign_id=spring.id)
    twin = call(prospect, "campaign:p", campaign_id=spring.id)
    merging.merge_customers(account, prospect, actor=shop.agent)
    session.refresh(twin)
    assert (twin.customer_id, twin.status) == (account.id, "cancelled")


def prove(session, user, channel):
    setattr(user, f"{channel}_verified_at", utcnow())
    contact_verified.send(user, channel=channel, value=getattr(user, channel))


def test_proving_an_email_joins_every_prospect_with_it(session, shop, make_user):
    user = make_user(email="li.na@example.org", phone="13800001111",  # no profile yet
                     email_verified=False)
    first = profiles.create_prospect(shop.agent, {"name": "李娜", "email": "LI.NA@example.org"})
    second = profiles.create_prospect(shop.agent, {"name": "李娜", "email": "li.na@example.org",
                                                   "phone": "13800002222"})
    by_phone = profiles.create_prospect(shop.agent, {"name": "李娜", "phone": "13800001111"})
    contact_verified.send(user, channel="email", value=user.email)  # column not set: nothing
    assert customer_for_user(user.id) is None
    prove(session, user, "email")
    own = customer_for_user(user.id)
    assert own.id == first.id  # the oldest became the account's profile
    assert session.get(Customer, second.id) is None
    assert session.get(Customer, by_phone.id).user_id is None  # its phone is not proven yet
    [record] = session.execute(sa.select(CustomerMerge)).scalars().all()
    assert (record.actor_id, record.reason) == (None, "verified_email")
    prove(session, user, "phone")
    assert session.get(Customer, by_phone.id) is None


def test_signing_up_by_a_code_sent_to_the_phone_joins_its_prospects(session, shop, make_user):
    first = profiles.create_prospect(shop.agent, {"name": "陈女士", "phone": "13800005555"})
    second = Customer(name="陈", phone="+8613800005555", source="import")
    session.add(second)
    user = make_user(phone="138 0000 5555")
    user.phone_verified_at = utcnow()
    user_registered.send(user)
    assert customer_for_user(user.id).id == first.id
    assert session.get(Customer, second.id) is None


def test_a_proof_of_another_value_or_by_staff_joins_nothing(session, shop, make_user):
    prospect = profiles.create_prospect(shop.agent, {"name": "某人", "phone": "13800003333"})
    user = make_user(phone="13800004444")
    user.phone_verified_at = utcnow()
    contact_verified.send(user, channel="phone", value="13800003333")
    staff = make_user(Role.CRM, phone="13800003333")
    prove(session, staff, "phone")
    assert session.get(Customer, prospect.id).user_id is None


def test_a_profile_made_for_an_account_keeps_the_phone_as_the_center_writes_it(session,
                                                                               make_user):
    user = make_user(phone="+86 139-1111-2222")
    assert ensure_customer(user).phone == "13911112222"


# --- the 360 ---------------------------------------------------------------------------------


def test_the_360_shows_who_may_be_the_same_person(client, session, shop, pair, make_user):
    account, prospect = pair
    same_name_city = profiles.create_prospect(shop.agent, {"name": "王芳", "city": "上海市"})
    stranger = profiles.create_prospect(shop.agent, {"name": "王芳", "city": "北京市"})
    raw = Customer(name="x", phone="+86 13912345678", source="web")  # as an account typed it
    other_account = ensure_customer(make_user(email=f"x{shop.shopper.email}"))
    other_account.email = shop.shopper.email.upper()
    session.add(raw)
    login(client, shop.agent)
    page = client.get(f"/crm/customers/{prospect.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="possible-duplicates"' in text
    listed = {int(i) for i in re.findall(r'data-customer-id="(\d+)"', text)}
    assert listed == {account.id, same_name_city.id, raw.id, other_account.id}
    assert stranger.id not in listed
    assert f"/crm/customers/{prospect.id}/merge?from={account.id}" in text
    assert "+86 13912345678" not in text and "****5678" in text  # masked in the box
    assert "same e-mail" in text and "same name and city" in text
    page = client.get(f"/crm/customers/{account.id}").get_data(as_text=True)
    assert 'data-testid="cannot-merge"' in page  # two accounts
    # the list and the search still work
    found = client.get("/crm/customers", query_string={"q": "5678"})
    assert found.status_code == 200 and "王芳" in found.get_data(as_text=True)
    assert client.get("/crm/customers").status_code == 200


def test_the_agent_confirms_then_merges_from_the_360(client, session, shop, pair):
    account, prospect = pair
    login(client, shop.agent)
    url = f"/crm/customers/{prospect.id}/merge"
    page = client.get(url, query_string={"from": account.id})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="merge-form"' in text
    assert "Complaints: 1 move to this profile" in text
    assert "Tags: 1 this profile already has, not repeated" in text  # gift buyer, on both
    assert "comes to this profile" in text  # the account comes along
    assert 'data-testid="merge-unproven"' in text  # the shopper never proved the e-mail
    response = client.post(url, data={"from_id": account.id})
    assert response.status_code == 303 and response.location.endswith(f"/crm/customers/"
                                                                        f"{prospect.id}")
    assert session.get(Customer, account.id) is None
    page = client.get(f"/crm/customers/{prospect.id}").get_data(as_text=True)
    assert 'data-testid="merge-history"' in page and f"Profile {account.id} merged in" in page
    assert "merged into this profile" in page and "晚到" in page and "过敏" in page
    assert shop.agent.name in page


def test_a_proven_account_shows_no_warning_and_zh_cn_reads(client, session, shop, pair):
    account, prospect = pair
    shop.shopper.email_verified_at = utcnow()
    login(client, shop.agent, lang="zh_CN")
    page = client.get(f"/crm/customers/{account.id}/merge", query_string={"from": prospect.id})
    text = page.get_data(as_text=True)
    assert "合并会做什么" in text and 'data-testid="merge-unproven"' not in text


def test_two_accounts_are_refused_on_the_page(client, session, shop, pair, make_user):
    account, _ = pair
    other = ensure_customer(make_user())
    login(client, shop.agent)
    url = f"/crm/customers/{account.id}/merge"
    page = client.get(url, query_string={"from": other.id}).get_data(as_text=True)
    assert 'data-testid="merge-refused"' in page and 'data-testid="merge-form"' not in page
    response = client.post(url, data={"from_id": other.id})
    assert response.status_code == 303
    assert session.get(Customer, other.id) is not None
    assert "two accounts cannot be merged" in client.get(
        f"/crm/customers/{account.id}").get_data(as_text=True)


def test_only_the_customer_center_merges(client, session, shop, pair, make_user):
    account, prospect = pair
    url = f"/crm/customers/{prospect.id}/merge"
    for user in (shop.clerk, shop.shopper):
        login(client, user)
        assert client.get(url, query_string={"from": account.id}).status_code == 403
        assert client.post(url, data={"from_id": account.id}).status_code == 403
    assert session.get(Customer, account.id) is not None
    login(client, shop.admin)
    assert client.post(url, data={"from_id": account.id}).status_code == 303


@pytest.mark.parametrize("path, args", [
    ("/crm/customers/999999/merge", {"from": "OWN"}), ("/crm/customers/OWN/merge", {}),
    ("/crm/customers/OWN/merge", {"from": "abc"}), ("/crm/customers/OWN/merge", {"from": "0"}),
    ("/crm/customers/OWN/merge", {"from": "999999"}),
    ("/crm/customers/OWN/merge", {"from": "99999999999999999999"}),
])
def test_bad_ids_are_404(client, session, shop, pair, path, args):
    _, prospect = pair
    login(client, shop.agent)
    path = path.replace("OWN", str(prospect.id))
    args = {k: v.replace("OWN", str(prospect.id)) for k, v in args.items()}
    assert client.get(path, query_string=args).status_code == 404
    assert client.post(path, data={"from_id": args.get("from", "")}).status_code == 404
    assert session.get(Customer, prospect.id) is not None


# --- the API ---------------------------------------------------------------------------------


def test_the_api_lists_possible_duplicates_and_merges(client, session, shop, pair, token_for):
    account, prospect = pair
    agent = token_for(shop.agent)
    session.commit()
    body = client.get(f"{API}/crm/customers/{prospect.id}", headers=agent).get_json()
    assert body["possible_duplicates"] == [account.id]
    url = f"{API}/crm/customers/{prospect.id}/merge"
    assert client.post(url, json={"from_id": account.id},
                       headers=token_for(shop.shopper)).status_code == 403
    for bad, status, code in (({}, 400, "validation_error"), ({"from_id": "x"}, 400,
                                                                 "validation_error"),
                              ({"from_id": 999999}, 404, "not_found"),
                              ({"from_id": prospect.id}, 409, "cannot_merge")):
        response = client.post(url, json=bad, headers=agent)
        assert (response.status_code, response.get_json()["code"]) == (status, code), bad
    response = client.post(url, json={"from_id": account.id}, headers=agent)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["user_id"]) == (prospect.id, shop.shopper.id)
    assert len(body["complaints"]) == 2 and body["possible_duplicates"] == []
