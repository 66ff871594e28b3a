"""Accounts through the API: register, token, /me, VIP signup."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from core.clock import utcnow
from core.models import ApiToken, User
from crm.customers.models import Customer
from storefront.loyalty.models import Membership
from tests.conftest import PASSWORD

from .conftest import API, assert_error


def register(client, **overrides):
    body = {"email": "Mei.Lin@Example.com", "password": "s3cret-enough", "name": "林美",
            "phone": "13900001111"}
    body.update(overrides)
    return client.post(f"{API}/auth/register", json=body)


def test_register_opens_an_account_confirmed_by_the_link(client, session, mailbox):
    response = register(client)
    assert response.status_code == 202
    body = response.get_json()
    assert body == {"email": "mei.lin@example.com", "name": "林美", "status": "confirm_email"}
    user = session.execute(sa.select(User).where(User.email == "mei.lin@example.com")).scalar_one()
    assert user.role == "customer" and user.check_password("s3cret-enough")
    assert user.email_verified_at is None
    # The customer center knows the new account at once.
    assert session.execute(sa.select(Customer).where(Customer.user_id == user.id)).scalar_one()
    # The link e-mailed confirms the address.
    first = mailbox.link_for("mei.lin@example.com")
    assert first.startswith("/account/confirm-email?token=")
    # before the link, the password does not sign in (anyone could have typed the address);
    # the right password sends a new link instead, which retires the first
    assert client.post(f"{API}/auth/token", json={"email": "mei.lin@example.com",
                                                  "password": "s3cret-enough"}).status_code == 401
    link = mailbox.link_for("mei.lin@example.com")
    assert link != first and client.get(first).status_code == 400
    assert client.post(link, data={"password": "not it"}).status_code == 400
    assert client.post(link, data={"password": "s3cret-enough"}).status_code == 302
    session.refresh(user)
    assert user.email_verified_at is not None
    assert client.post(f"{API}/auth/token", json={"email": "mei.lin@example.com",
                                                  "password": "s3cret-enough"}).status_code == 200


def test_register_twice_answers_the_same_and_tells_the_owner(client, session, mailbox):
    first = register(client)
    second = register(client, email="MEI.LIN@example.com")
    assert second.status_code == first.status_code == 202
    assert second.get_json() == first.get_json()
    assert session.execute(sa.select(sa.func.count(User.id)).where(
        User.email == "mei.lin@example.com")).scalar_one() == 1
    to, subject, body = mailbox.sent[-1]
    assert to == "mei.lin@example.com" and "/login" in body and "/password-reset" in body


def test_register_rejects_bad_fields_and_writes_nothing(client, session):
    before = session.execute(sa.select(sa.func.count(User.id))).scalar_one()
    cases = [
        {"email": "not-an-email"},
        {"password": "short"},
        {"name": "   "},
        {"name": "<script>alert(1)</script>"},
        {"phone": "call me"},
        {"email": None},
        {"role": "admin"},
    ]
    for overrides in cases:
        body = assert_error(register(client, **overrides), 400, "validation_error")
        assert set(body["errors"]) == set(overrides), overrides
    assert_error(client.post(f"{API}/auth/register", data="{not json",
                             content_type="application/json"), 400, "validation_error")
    assert session.execute(sa.select(sa.func.count(User.id))).scalar_one() == before


def test_token_for_good_credentials(client, shop):
    response = client.post(f"{API}/auth/token",
                           json={"email": shop.shopper.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() is not None and expires > utcnow() + timedelta(days=1)
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == shop.shopper.id


def test_token_refused_for_wrong_credentials(client, shop):
    assert_error(client.post(f"{API}/auth/token",
                             json={"email": shop.shopper.email, "password": "wrong password"}),
                 401, "invalid_credentials")
    assert_error(client.post(f"{API}/auth/token",
                             json={"email": "nobody@example.com", "password": PASSWORD}),
                 401, "invalid_credentials")
    assert_error(client.post(f"{API}/auth/token", json={"email": shop.shopper.email}),
                 400, "validation_error")
    assert_error(client.post(f"{API}/auth/token", json={"email": "a\x00@example.com",
                                                        "password": PASSWORD}),
                 400, "validation_error")


def test_token_stored_hashed(client, session, shop):
    token = client.post(f"{API}/auth/token",
                        json={"email": shop.shopper.email, "password": PASSWORD}).get_json()
    hashes = session.execute(sa.select(ApiToken.token_hash).where(
        ApiToken.user_id == shop.shopper.id)).scalars().all()
    assert token["token"] not in hashes and ApiToken.hash(token["token"]) in hashes


def test_me_needs_a_valid_token(client, session, shop, token_for):
    assert_error(client.get(f"{API}/me"), 401, "unauthorized")
    assert_error(client.get(f"{API}/me", headers={"Authorization": "Bearer nonsense"}),
                 401, "unauthorized")
    assert_error(client.get(f"{API}/me", headers={"Authorization": "Basic abc"}),
                 401, "unauthorized")
    headers = token_for(shop.shopper)
    plain = headers["Authorization"].split()[1]
    session.execute(sa.update(ApiToken).where(ApiToken.token_hash == ApiToken.hash(plain))
                    .values(expires_at=utcnow() - timedelta(minutes=1)))
    assert_error(client.get(f"{API}/me", headers=headers), 401, "unauthorized")


def test_me_without_membership(client, shop, token_for):
    body = client.get(f"{API}/me", headers=token_for(shop.shopper)).get_json()
    assert body["email"] == shop.shopper.email and body["name"] == shop.shopper.name
    assert body["roles"] == ["customer"] and body["membership"] is None


def test_me_of_staff_names_the_role(client, shop, token_for):
    body = client.get(f"{API}/me", headers=token_for(shop.clerk)).get_json()
    assert body["roles"] == ["staff"] and body["center_id"] == shop.store.id


def vip_body(**overrides):
    body = {"name": "王丽", "phone": "13812345678", "birthday": "1990-05-01",
            "baby_birthday": (utcnow() - timedelta(days=200)).date().isoformat(),
            "city": "上海", "interests": ["喂养", "早教"], "marketing_consent": True}
    body.update(overrides)
    return body


def test_vip_signup_gives_a_card_at_once(client, session, shop, token_for):
    headers = token_for(shop.shopper)
    response = client.post(f"{API}/vip/signup", json=vip_body(), headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["tier"] == "classic" and body["points"] == 0
    assert body["card_number"].startswith("VIP") and len(body["card_number"]) == 13
    member = session.execute(sa.select(Membership).where(
        Membership.user_id == shop.shopper.id)).scalar_one()
    assert member.marketing_consent is True and member.interests == ["喂养", "早教"]
    me = client.get(f"{API}/me", headers=headers).get_json()
    assert me["membership"]["card_number"] == body["card_number"]
    assert me["membership"]["tier"] == "classic" and me["membership"]["points"] == 0


def test_vip_signup_consent_is_off_unless_given(client, session, shop, token_for):
    body = vip_body()
    del body["marketing_consent"]
    assert client.post(f"{API}/vip/signup", json=body,
                       headers=token_for(shop.shopper)).status_code == 201
    member = session.execute(sa.select(Membership).where(
        Membership.user_id == shop.shopper.id)).scalar_one()
    assert member.marketing_consent is False


def test_vip_signup_twice_is_already_member(client, shop, token_for):
    headers = token_for(shop.shopper)
    assert client.post(f"{API}/vip/signup", json=vip_body(), headers=headers).status_code == 201
    assert_error(client.post(f"{API}/vip/signup", json=vip_body(), headers=headers),
                 409, "already_member")


def test_vip_signup_rejects_bad_fields(client, session, shop, token_for):
    headers = token_for(shop.shopper)
    before = session.execute(sa.select(sa.func.count(Membership.id))).scalar_one()
    future = (utcnow() + timedelta(days=3)).date().isoformat()
    for overrides in ({"name": ""}, {"phone": None}, {"birthday": future},
                      {"birthday": "1990-13-45"}, {"marketing_consent": "yes"},
                      {"interests": "all"}, {"baby_birthday": "2001-01-01"}):
        body = assert_error(client.post(f"{API}/vip/signup", json=vip_body(**overrides),
                                        headers=headers), 400, "validation_error")
        assert set(body["errors"]) == set(overrides), overrides
    assert session.execute(sa.select(sa.func.count(Membership.id))).scalar_one() == before


def test_vip_signup_needs_a_user(client):
    assert_error(client.post(f"{API}/vip/signup", json=vip_body()), 401, "unauthorized")
