"""Signing in by phone and SMS code, and the codes themselves: random, stored hashed, five
minutes, single use, five wrong tries, limits on sending; resetting a password by SMS code
or e-mail link. On both databases."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.models import User
from storefront.accounts import codes
from storefront.accounts.models import OneTimeCode, Purpose

from ..api.conftest import API

PHONE = "13812345678"

pytestmark = pytest.mark.usefixtures("fresh_requests")


def ask(client, phone=PHONE, **environ):
    return client.post(f"{API}/auth/otp", json={"phone": phone, "purpose": "sign_in"},
                       environ_base=environ)


def sign_in(client, code, phone=PHONE, **extra):
    return client.post(f"{API}/auth/token", json={"phone": phone, "code": code, **extra})


def test_a_code_opens_an_account_for_a_new_phone_and_marks_it_verified(client, sms, session,
                                                                       clock):
    response = ask(client, "+86 138-1234-5678")
    assert response.status_code == 202 and response.get_json() == {"expires_in": 300}
    [(to, body)] = sms.sent
    assert to == PHONE and sms.code_for(PHONE) in body
    response = sign_in(client, sms.code_for(PHONE), name="王丽")
    assert response.status_code == 201 and response.get_json()["token"]
    user = session.execute(sa.select(User).where(User.phone == PHONE)).scalar_one()
    assert user.name == "王丽" and user.email is None and user.password_hash is None
    assert user.phone_verified_at is not None
    token = response.get_json()["token"]
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["id"] == user.id
    # The next time the same phone signs in to the same account (200, not a new one).
    clock.shift(timedelta(minutes=2))
    assert ask(client).status_code == 202
    response = sign_in(client, sms.code_for(PHONE))
    assert response.status_code == 200
    assert session.execute(sa.select(sa.func.count(User.id)).where(
        User.phone == PHONE)).scalar_one() == 1


def test_codes_come_from_secrets(client, sms, monkeypatch):
    """The 6 digits are drawn by ``secrets`` (the OS's random source), not a seeded PRNG."""
    drawn = []

    def randbelow(n):
        drawn.append(n)
        return 4321

    monkeypatch.setattr(codes.secrets, "randbelow", randbelow)
    assert ask(client).status_code == 202
    assert drawn == [10**6] and sms.code_for(PHONE) == "004321"


def test_codes_are_random_and_stored_only_hashed(client, sms, session):
    seen = set()
    for n in range(5):
        assert ask(client, f"1391234000{n}").status_code == 202
        seen.add(sms.code_for(f"1391234000{n}"))
    assert len(seen) > 1
    stored = session.execute(sa.select(OneTimeCode.code_hash)).scalars().all()
    assert len(stored) == 5 and not any(code in h for h in stored for code in seen)


def test_a_code_is_good_once(client, sms):
    ask(client)
    code = sms.code_for(PHONE)
    assert sign_in(client, code).status_code == 201
    again = sign_in(client, code)
    assert again.status_code == 401 and again.get_json()["code"] == "invalid_credentials"


def test_a_code_is_good_for_five_minutes(client, sms, clock):
    ask(client)
    clock.shift(timedelta(minutes=5, seconds=1))
    assert sign_in(client, sms.code_for(PHONE)).status_code == 401


def test_five_wrong_tries_burn_the_code(app, sms, session):
    # each try from its own address, so that only the code's own count stops them
    ask(app.test_client())
    code = sms.code_for(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for n in range(5):
        client = app.test_client()
        response = client.post(f"{API}/auth/token", json={"phone": PHONE, "code": wrong},
                               environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"})
        assert response.status_code == 401
    client = app.test_client()
    response = client.post(f"{API}/auth/token", json={"phone": PHONE, "code": code},
                           environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert response.status_code == 401  # burnt, though right
    row = session.execute(sa.select(OneTimeCode)).scalar_one()
    assert row.tries == 5 and row.used_at is not None


def test_the_three_newest_codes_stay_good_until_one_is_used(client, sms, clock):
    """Someone else's "send" (or a second tap) does not take away the code on its way."""
    sent = []
    for _ in range(4):
        assert ask(client).status_code == 202
        sent.append(sms.code_for(PHONE))
        clock.shift(timedelta(seconds=61))
    clock.shift(timedelta(seconds=-61 * 3 + 30))  # all four within their 5 minutes
    if sent[0] not in sent[1:]:
        assert sign_in(client, sent[0]).status_code == 401  # the fourth retired the first
    assert sign_in(client, sent[1]).status_code == 201
    for later in sent[2:]:
        if later != sent[1]:
            assert sign_in(client, later).status_code == 401  # the number is proven: retired


def test_sending_is_limited_per_phone(client, sms, clock):
    assert ask(client).status_code == 202
    again = ask(client)
    assert again.status_code == 429 and again.get_json()["code"] == "too_many_requests"
    assert 0 < int(again.headers["Retry-After"]) <= 60
    for _ in range(4):
        clock.shift(timedelta(seconds=61))
        assert ask(client).status_code == 202
    clock.shift(timedelta(seconds=61))
    assert ask(client).status_code == 429  # five an hour
    assert len(sms.sent) == 5


def test_sending_is_limited_per_client_address(client, sms):
    statuses = [ask(client, f"139{n:08d}", REMOTE_ADDR="203.0.113.5").status_code
                for n in range(25)]
    assert statuses[:20] == [202] * 20 and set(statuses[20:]) == {429}
    assert ask(client, "13700000000", REMOTE_ADDR="203.0.113.6").status_code == 202


def test_bad_phones_and_codes_are_clear_errors(client, sms, session):
    for body in ({"phone": "12345"}, {"phone": "+1 415 555 0100"}, {"phone": ""},
                 {"phone": PHONE, "purpose": "reset"}, {}, {"phone": 13812345678}):
        response = client.post(f"{API}/auth/otp", json=body)
        assert response.status_code == 400 and response.get_json()["code"] == "validation_error"
    for body in ({"phone": PHONE, "code": "12345"}, {"phone": PHONE, "code": "abcdef"},
                 {"phone": PHONE, "code": "123456", "password": "x"},
                 {"email": "a@example.com", "code": "123456"}, {"phone": PHONE}):
        response = client.post(f"{API}/auth/token", json=body)
        assert response.status_code == 400, body
    assert sms.sent == [] and session.execute(sa.select(OneTimeCode)).first() is None


def test_a_phone_verified_by_another_account_stays_theirs(client, sms, make_user, session):
    """An e-mail account that typed someone's phone does not get that phone's sign-in."""
    make_user(email="typed@example.com", phone=PHONE)
    session.commit()
    ask(client)
    assert sign_in(client, sms.code_for(PHONE)).status_code == 201
    owners = session.execute(sa.select(User).where(User.phone == PHONE,
                                                   User.phone_verified_at.is_not(None))).all()
    assert len(owners) == 1 and owners[0][0].email is None


def test_phone_and_password_sign_in_once_verified(client, sms, make_user, session):
    user = make_user(phone=PHONE)
    session.commit()
    from tests.conftest import PASSWORD

    body = {"phone": PHONE, "password": PASSWORD}
    assert client.post(f"{API}/auth/token", json=body).status_code == 401  # not verified yet
    user.phone_verified_at = user.created_at
    session.commit()
    assert client.post(f"{API}/auth/token", json=body).status_code == 200


def test_the_page_path_by_phone(client, sms, session):
    client.set_cookie("lang", "en")
    response = client.post("/login/code/send", data={"phone": "138 1234 5678"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/code")
    page = client.get("/login/code").get_data(as_text=True)
    assert "138****5678" in page and PHONE not in page
    wrong = client.post("/login/code", data={"code": "000000" if sms.code_for(PHONE) != "000000"
                                                      else "111111"})
    assert wrong.status_code == 400 and "wrong or has expired" in wrong.get_data(as_text=True)
    response = client.post("/login/code", data={"code": sms.code_for(PHONE), "name": "王丽"})
    assert response.status_code == 302
    assert "王丽" in client.get("/account").get_data(as_text=True)


def test_codes_of_one_purpose_do_not_serve_another(session, app):
    with app.test_request_context():
        code = codes.issue_code(Purpose.PASSWORD_RESET, PHONE)
        assert codes.use_code(Purpose.SIGN_IN, PHONE, code) is None
        assert codes.use_code(Purpose.PASSWORD_RESET, PHONE, code) is not None


# --- recovery -------------------------------------------------------------------------------


@pytest.fixture()
def holder(make_user, session):
    user = make_user(email="holder@example.com", phone=PHONE)
    user.phone_verified_at = user.created_at
    session.commit()
    return user


def test_reset_by_sms_code_sets_the_password_and_ends_every_session(app, client, sms, holder,
                                                                      session):
    from tests.conftest import PASSWORD

    token = client.post(f"{API}/auth/token", json={"email": holder.email,
                                                   "password": PASSWORD}).get_json()["token"]
    browser = app.test_client()
    browser.post("/login", data={"identifier": holder.email, "password": PASSWORD})
    assert client.post(f"{API}/auth/password-reset", json={"phone": PHONE}).status_code == 202
    code = sms.code_for(PHONE)
    bad = client.post(f"{API}/auth/password-reset/confirm",
                      json={"phone": PHONE, "code": "999999" if code != "999999" else "888888",
                            "password": "new password 1"})
    assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_or_expired"
    response = client.post(f"{API}/auth/password-reset/confirm",
                           json={"phone": PHONE, "code": code, "password": "new password 1"})
    assert response.status_code == 204
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert browser.get("/account").status_code == 302
    session.refresh(holder)
    assert holder.check_password("new password 1")


def test_a_phone_merely_typed_into_an_account_resets_nothing(client, sms, make_user, session):
    """Whoever holds a number someone typed into their account must not reach it by SMS."""
    typed = make_user(email="typed@example.com", phone=PHONE)
    session.commit()
    assert client.post(f"{API}/auth/password-reset", json={"phone": PHONE}).status_code == 202
    assert sms.sent == []
    session.refresh(typed)
    assert typed.phone_verified_at is None


def test_reset_by_email_link_on_the_pages(app, client, mailbox, holder, session):
    client.set_cookie("lang", "en")
    response = client.post("/password-reset", data={"identifier": "Holder@Example.com"})
    assert response.status_code == 200 and "Look in your inbox" in response.get_data(as_text=True)
    link = mailbox.link_for("holder@example.com")
    assert client.get(link).status_code == 200
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    response = client.post(link, data={"password": "new password 2", "confirm": "new password 2"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # signed in with the new password
    assert client.post(link, data={"password": "again again", "confirm": "again again"}
                       ).status_code == 400  # single use
    session.refresh(holder)
    assert holder.check_password("new password 2") and holder.email_verified_at is not None


def link_token(mailbox, email: str) -> str:
    """The token of the last link e-mailed to ``email`` (it rides in the query)."""
    link = mailbox.link_for(email)
    assert "?token=" in link, link
    return link.split("?token=", 1)[1]


def test_a_reset_link_expires(client, mailbox, holder, clock):
    client.post(f"{API}/auth/password-reset", json={"email": holder.email})
    token = link_token(mailbox, holder.email)
    clock.shift(timedelta(minutes=59))
    assert codes.peek_link(Purpose.PASSWORD_RESET, token) is not None  # still good here
    clock.shift(timedelta(minutes=2))
    response = client.post(f"{API}/auth/password-reset/confirm",
                           json={"token": token, "password": "new password 3"})
    assert response.status_code == 400 and response.get_json()["code"] == "invalid_or_expired"


def test_a_stranger_cannot_use_up_a_shoppers_codes(client, sms, clock):
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(5):
        assert ask(client, **stranger).status_code == 202
        clock.shift(timedelta(seconds=61))
    assert ask(client, **stranger).status_code == 429  # the stranger's own budget is spent
    response = ask(client, REMOTE_ADDR="198.51.100.20")  # the shopper, from home
    assert response.status_code == 202
    assert sign_in(client, sms.code_for(PHONE)).status_code == 201


def test_the_sms_that_adds_a_phone_to_an_account_says_so(client, sms, make_user, session):
    from tests.support.pages import login

    user = make_user()
    session.commit()
    login(client, user, lang=None)
    response = client.post("/account/phone/send", data={"phone": PHONE})
    assert response.status_code == 302
    [(to, body)] = sms.sent
    assert to == PHONE and "登录验证码" not in body and "signed in now" not in body
    assert "添加" in body or "add this number" in body


def test_a_reset_by_email_link_ends_every_other_session_and_token(app, client, mailbox, holder,
                                                                  clock):
    """The link's way, on the page and in the API: the browsers and tokens signed in with the
    old password stop working at once."""
    from tests.conftest import PASSWORD

    def token():
        return client.post(f"{API}/auth/token", json={"email": holder.email,
                                                      "password": PASSWORD}).get_json()["token"]

    laptop = app.test_client()
    assert laptop.post("/login", data={"identifier": holder.email, "password": PASSWORD}
                       ).status_code == 302
    old = token()
    client.post(f"{API}/auth/password-reset", json={"email": holder.email})
    response = client.post(mailbox.link_for(holder.email),
                           data={"password": "new password 4", "confirm": "new password 4"})
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 302
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401

    laptop.post("/login", data={"identifier": holder.email, "password": "new password 4"})
    assert laptop.get("/account").status_code == 200
    old = client.post(f"{API}/auth/token", json={"email": holder.email, "password":
                                                 "new password 4"}).get_json()["token"]
    clock.shift(timedelta(minutes=2))  # one link a minute per address
    assert client.post(f"{API}/auth/password-reset",
                       json={"email": holder.email}).status_code == 202
    response = client.post(f"{API}/auth/password-reset/confirm", json={
        "token": link_token(mailbox, holder.email), "password": "new password 5"})
    assert response.status_code == 204
    assert laptop.get("/account").status_code == 302
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def test_an_account_opened_by_code_adds_a_password_later(app, client, sms, session):
    """No password is needed to open an account by phone; one may be added later (no
    current one to give), on the page or in the API, and then phone + password signs in."""
    ask(client)
    token = sign_in(client, sms.code_for(PHONE)).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"phone": PHONE, "password": "added later 1"}
    assert client.post(f"{API}/auth/token", json=body).status_code == 401
    assert client.post(f"{API}/me/password", headers=headers,
                       json={"password": "added later 1"}).status_code == 204
    assert client.post(f"{API}/auth/token", json=body).status_code == 200
    # The page: a second code-only account, its security page asks for no current password.
    browser = app.test_client()
    browser.set_cookie("lang", "en")
    other = "13787654321"
    browser.post("/login/code/send", data={"phone": other})
    assert browser.post("/login/code", data={"code": sms.code_for(other)}).status_code == 302
    page = browser.get("/account/security").get_data(as_text=True)
    assert 'name="current"' not in page
    assert browser.post("/account/password", data={
        "password": "added later 2", "confirm": "added later 2"}).status_code == 302
    # Once there is one, changing it needs it.
    assert 'name="current"' in browser.get("/account/security").get_data(as_text=True)
    assert browser.post("/account/password", data={
        "password": "added later 3", "confirm": "added later 3"}).status_code == 400
    assert client.post(f"{API}/auth/token", json={"phone": other, "password": "added later 2"}
                       ).status_code == 200
