"""Finding 2: registering with a prospect's e-mail or phone took the prospect over.

An agent logs a hotline complaint for a prospect (a profile with no account). Someone opens an
account with that prospect's e-mail (or phone) without proving it is theirs: they must not
read the complaint, and a coupon the agent then gives the prospect must not reach them. Once
the account proves the e-mail or phone (a link opened, a code sent back), the prospect's
history joins the account's profile, both histories kept, and the customer sees it.
"""

import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import ApiToken, Role, User
from core.signals import contact_verified
from crm.care.complaints import open_complaint
from crm.customers import profiles
from crm.customers.models import Customer
from crm.customers.services import customer_for_user
from storefront.coupon_models import Coupon
from tests.support.pages import login

API = "/api/v1"
SECRET = "SECRET: baby had a rash after formula batch X; home address 1 Victim Road"


def hotline_prospect(session, agent, **contact):
    prospect = profiles.create_prospect(agent, {"name": "受害人", "source": "hotline", **contact})
    open_complaint(actor=agent, customer=prospect, category="quality", description=SECRET,
                   severity="high")
    session.commit()
    return prospect


def register(client, **body):
    body = {"password": "attacker-pass-1", "name": "x", **body}
    response = client.post(f"{API}/auth/register", json=body)
    assert response.status_code == 202, response.get_json()
    # An e-mail nobody confirmed does not sign in with its password at all...
    refused = client.post(f"{API}/auth/token", json={
        "email": body["email"], "password": body["password"]})
    assert refused.status_code == 401
    # ...but say the account got a token some other way: it still reads nothing not its own.
    user = db.session.execute(sa.select(User).where(
        User.email == body["email"].lower())).scalar_one()
    _, token = ApiToken.issue(user, 1)
    db.session.commit()
    return user.id, {"Authorization": f"Bearer {token}"}


def descriptions(client, headers):
    response = client.get(f"{API}/crm/complaints", headers=headers)
    assert response.status_code == 200
    return [c["description"] for c in response.get_json()["items"]]


def assert_not_taken_over(client, session, prospect, user_id, headers, agent):
    assert SECRET not in descriptions(client, headers)
    session.expire_all()
    assert session.get(Customer, prospect.id).user_id is None
    own = customer_for_user(user_id)
    assert own is not None and own.id != prospect.id
    # The agent gives the prospect a coupon from its 360: it does not reach the account.
    login(client, agent)
    response = client.post(f"/crm/customers/{prospect.id}/coupons", data={
        "amount": "50.00", "minimum_amount": "", "valid_days": "30", "note": "sorry"})
    assert response.status_code == 302
    assert session.execute(sa.select(Coupon).where(Coupon.user_id == user_id)).first() is None


def test_registering_with_a_prospects_email_reads_nothing_of_theirs(client, session,
                                                                    make_user):
    agent = make_user(Role.CRM)
    prospect = hotline_prospect(session, agent, email="victim@example.org")
    user_id, headers = register(client, email="victim@example.org")
    assert_not_taken_over(client, session, prospect, user_id, headers, agent)


def test_registering_with_a_prospects_phone_reads_nothing_of_theirs(client, session, make_user):
    agent = make_user(Role.CRM)
    prospect = hotline_prospect(session, agent, phone="13912345678")
    user_id, headers = register(client, email="attacker@example.net", phone="13912345678")
    assert_not_taken_over(client, session, prospect, user_id, headers, agent)


def verify(session, user_id, channel):
    user = session.get(User, user_id)
    setattr(user, f"{channel}_verified_at", utcnow())
    contact_verified.send(user, channel=channel, value=getattr(user, channel))
    session.commit()
    return user


def test_a_verified_email_joins_the_prospects_history_to_the_account(client, session,
                                                                     make_user):
    agent = make_user(Role.CRM)
    prospect = hotline_prospect(session, agent, email="victim@example.org")
    user_id, headers = register(client, email="Victim@Example.org")
    own = customer_for_user(user_id)
    open_complaint(actor=agent, customer=own, category="delivery", description="late parcel")
    session.commit()
    assert descriptions(client, headers) == ["late parcel"]

    verify(session, user_id, "email")
    session.expire_all()
    assert session.get(Customer, prospect.id) is None  # merged into the account's profile
    assert customer_for_user(user_id).id == own.id
    assert sorted(descriptions(client, headers)) == sorted([SECRET, "late parcel"])


def test_a_verified_phone_joins_the_prospects_history_to_the_account(client, session,
                                                                     make_user):
    agent = make_user(Role.CRM)
    prospect = hotline_prospect(session, agent, phone="13912345678")
    user_id, headers = register(client, email="someone@example.net", phone="139-1234-5678")
    assert SECRET not in descriptions(client, headers)

    verify(session, user_id, "phone")
    session.expire_all()
    assert session.get(Customer, prospect.id) is None
    assert SECRET in descriptions(client, headers)


# --- the proofs themselves, end to end (the tests above send the signal by hand) -------------


def assert_joined(session, prospect, user) -> None:
    """The prospect's profile is the account's now: merged into it, or linked to it."""
    session.expire_all()
    joined = session.get(Customer, prospect.id)
    assert joined is None or joined.user_id == user.id
    assert customer_for_user(user.id) is not None


def token_of(client, **body) -> dict:
    response = client.post(f"{API}/auth/token", json=body)
    assert response.status_code in (200, 201), response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_e_mailed_link_with_the_password_joins_the_prospect(client, session, make_user,
                                                                mailbox):
    """Only the address's owner gets the link, and it asks for the password the account was
    opened with: then, and not before, the prospect's history is the account's."""
    agent = make_user(Role.CRM)
    prospect = hotline_prospect(session, agent, email="victim@example.org")
    body = {"email": "Victim@Example.org", "password": "owner-pass-1", "name": "受害人"}
    assert client.post(f"{API}/auth/register", json=body).status_code == 202
    user = session.execute(sa.select(User).where(User.email == "victim@example.org")
                           ).scalar_one()
    assert session.get(Customer, prospect.id).user_id is None
    link = mailbox.link_for("victim@example.org")
    wrong = client.post(link, data={"password": "attacker-guess"})
    assert wrong.status_code == 400
    session.expire_all()
    assert session.get(Customer, prospect.id).user_id is None  # a wrong password joins nothing
    assert client.post(link, data={"password": "owner-pass-1"}).status_code == 302
    assert_joined(session, prospect, user)
    headers = token_of(client, email="victim@example.org", password="owner-pass-1")
    assert SECRET in descriptions(client, headers)


def test_a_new_account_opened_by_an_sms_code_takes_the_prospects_history(client, session,
                                                                          make_user, sms):
    """Signing in with a code proves the phone: the account it opens is the prospect's."""
    agent = make_user(Role.CRM)
    prospect = hotline_prospect(session, agent, phone="13912345678")
    assert client.post(f"{API}/auth/otp", json={"phone": "139 1234 5678"}).status_code == 202
    headers = token_of(client, phone="13912345678", code=sms.code_for("13912345678"))
    assert SECRET in descriptions(client, headers)
    user = session.execute(sa.select(User).where(User.phone == "13912345678")).scalar_one()
    assert_joined(session, prospect, user)


def test_a_phone_added_on_the_account_page_joins_only_once_its_code_comes_back(
        client, session, make_user, sms):
    agent = make_user(Role.CRM)
    prospect = hotline_prospect(session, agent, phone="13912345678")
    user = make_user(email="someone@example.net")
    session.commit()
    _, token = ApiToken.issue(user, 1)
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    login(client, user)
    assert client.post("/account/phone/send", data={"phone": "13912345678"}).status_code == 302
    assert SECRET not in descriptions(client, headers)  # typed, not proven
    session.expire_all()
    assert session.get(Customer, prospect.id).user_id is None
    code = sms.code_for("13912345678")
    wrong = "000000" if code != "000000" else "111111"
    assert client.post("/account/phone", data={"code": wrong}).status_code == 400
    assert SECRET not in descriptions(client, headers)
    assert client.post("/account/phone", data={"code": code}).status_code == 302
    assert SECRET in descriptions(client, headers)
    assert_joined(session, prospect, user)


def test_the_360_shows_the_unproven_account_as_a_possible_same_person_and_merges_both(
        client, session, make_user, mailbox):
    """Rule 5's other half: until the contact is proven the agent sees the two profiles as
    possibly one person, is warned that the account proved nothing, and a merge keeps both
    histories."""
    import re

    agent = make_user(Role.CRM)
    prospect = hotline_prospect(session, agent, email="victim@example.org")
    user_id, _ = register(client, email="victim@example.org")
    own = customer_for_user(user_id)
    open_complaint(actor=agent, customer=own, category="delivery", description="late parcel")
    session.commit()
    login(client, agent)
    page = client.get(f"/crm/customers/{prospect.id}").get_data(as_text=True)
    assert 'data-testid="possible-duplicates"' in page
    assert own.id in {int(i) for i in re.findall(r'data-customer-id="(\d+)"', page)}
    merge = f"/crm/customers/{prospect.id}/merge"
    form = client.get(merge, query_string={"from": own.id}).get_data(as_text=True)
    assert 'data-testid="merge-unproven"' in form
    assert client.post(merge, data={"from_id": own.id}).status_code == 303
    page = client.get(f"/crm/customers/{prospect.id}").get_data(as_text=True)
    assert "late parcel" in page and "SECRET: baby had a rash" in page
