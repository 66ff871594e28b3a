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
