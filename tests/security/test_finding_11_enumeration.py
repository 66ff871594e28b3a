"""Finding 11: registration said "e-mail taken", and sign-in was 97 ms for a known e-mail
against 1.5 ms for an unknown one. Now both answer the same, and an unknown account costs
the same password check as a known one."""

import logging
import threading

import pytest

from core import background
from core.messaging import DeliveryError, SmsProvider

from ..api.conftest import API


@pytest.fixture()
def known(make_user, session):
    user = make_user(email="known@example.com", phone="13911112222")
    user.phone_verified_at = user.created_at
    session.commit()
    return user


@pytest.fixture()
def hashes_checked(monkeypatch):
    """How many scrypt checks each request ran."""
    import werkzeug.security

    calls = []
    real = werkzeug.security.check_password_hash

    def counting(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    for where in ("core.models.check_password_hash",
                  "storefront.accounts.signin.check_password_hash"):
        monkeypatch.setattr(where, counting)
    return calls


def test_sign_in_answers_alike_for_known_and_unknown(client, known, hashes_checked):
    answers = []
    for email in ("known@example.com", "nobody@example.com"):
        hashes_checked.clear()
        response = client.post(f"{API}/auth/token", json={"email": email, "password": "wrong!"})
        answers.append((response.status_code, response.get_json()))
        assert len(hashes_checked) == 1, email  # the same scrypt work either way
    assert answers[0] == answers[1]
    assert answers[0][1]["code"] == "invalid_credentials"
    client.set_cookie("lang", "en")
    pages = [client.post("/login", data={"identifier": who, "password": "wrong!"}
                         ).get_data(as_text=True)
             for who in ("known@example.com", "nobody@example.com")]
    assert all("Wrong phone, e-mail or password." in p for p in pages)


def test_registration_answers_alike_for_known_and_unknown(client, known, mailbox):
    body = {"password": "long enough 1", "name": "Someone"}
    taken = client.post(f"{API}/auth/register", json={**body, "email": "known@example.com"})
    fresh = client.post(f"{API}/auth/register", json={**body, "email": "fresh@example.com"})
    assert taken.status_code == fresh.status_code == 202
    assert set(taken.get_json()) == set(fresh.get_json())
    assert taken.get_json()["status"] == fresh.get_json()["status"] == "confirm_email"


def test_password_reset_answers_alike(client, known, mailbox, sms):
    for body in ({"email": "known@example.com"}, {"email": "nobody@example.com"},
                 {"phone": "13911112222"}, {"phone": "13900000000"}):
        response = client.post(f"{API}/auth/password-reset", json=body)
        assert response.status_code == 202 and response.get_json() == {}, body
    assert [to for to, *_ in mailbox.sent] == ["known@example.com"]
    assert [to for to, _ in sms.sent] == ["13911112222"]


class _SlowProvider(SmsProvider):
    """A slow SMTP server or SMS gateway: each message waits until the test lets it go."""

    def __init__(self, app):
        super().__init__(app)
        self.release = threading.Event()
        self.sent = []

    def send(self, to, body):
        return self.send_email(to, "", body)

    def send_email(self, to, _subject, _body):
        released = self.release.wait(10)
        self.sent.append((to, threading.current_thread().name, released))
        return "slow-1"


def test_a_reset_leaves_after_the_answer(client, app, known, monkeypatch):
    """A reset goes only to an account that exists: sent inside the request, a slow provider
    would make that answer the slower one. It leaves from the worker's sender thread."""
    slow = _SlowProvider(app)
    monkeypatch.setitem(app.config, "SEND_AFTER_ANSWER", True)
    monkeypatch.setitem(app.extensions, "shop_sms_provider", slow)
    monkeypatch.setattr("storefront.accounts.notify.send_email", slow.send_email)
    for body in ({"email": "known@example.com"}, {"email": "nobody@example.com"},
                 {"phone": "13911112222"}, {"phone": "13900000000"}):
        response = client.post(f"{API}/auth/password-reset", json=body)
        assert response.status_code == 202 and response.get_json() == {}, body
    assert slow.sent == []  # every answer came while the provider still held the first
    slow.release.set()
    assert background.drain(app)
    assert slow.sent == [("known@example.com", "after-answer", True),
                         ("13911112222", "after-answer", True)]


def test_a_message_that_cannot_leave_is_logged_without_its_address(app, caplog):
    def refused():
        raise DeliveryError("550 mailbox known@example.com unavailable")

    def broken():
        raise RuntimeError("13911112222")

    with app.test_request_context(), caplog.at_level(logging.WARNING, "core.background"):
        app.config["SEND_AFTER_ANSWER"] = True
        try:
            background.after_answer(refused, "a reset e-mail")
            background.after_answer(broken, "a reset code")
            assert background.drain(app)
        finally:
            app.config["SEND_AFTER_ANSWER"] = False
    assert [r.getMessage() for r in caplog.records] == [
        "a reset e-mail could not be sent", "a reset code could not be sent: RuntimeError"]


@pytest.mark.parametrize("known_one, unknown_one", [
    ("13911112222", "13900000000"),      # a verified phone and a number with no account
    ("139 1111 2222", "+86 139 0000 0000"),
    ("known@example.com", "nobody@example.com"),
])
def test_every_way_of_naming_the_account_costs_the_same_check(client, known, hashes_checked,
                                                              known_one, unknown_one):
    """By phone or e-mail, on the page and in the API: one scrypt check, the same answer."""
    client.set_cookie("lang", "en")
    field = "email" if "@" in known_one else "phone"
    api, pages = [], []
    for who in (known_one, unknown_one):
        hashes_checked.clear()
        response = client.post(f"{API}/auth/token", json={field: who, "password": "wrong!"})
        api.append((response.status_code, response.get_json()))
        assert len(hashes_checked) == 1, who
        hashes_checked.clear()
        page = client.post("/login", data={"identifier": who, "password": "wrong!"})
        pages.append((page.status_code, "Wrong phone, e-mail or password." in page.get_data(
            as_text=True)))
        assert len(hashes_checked) == 1, who
    assert api[0] == api[1] and api[0][0] == 401
    assert pages[0] == pages[1] == (400, True)


def test_an_account_without_a_password_costs_the_same_check(client, make_user, session,
                                                           hashes_checked):
    """An account opened by SMS code has no password: guessing one costs what it costs for
    an account that has one, and answers alike."""
    user = make_user(phone="13922223333")
    user.password_hash, user.phone_verified_at = None, user.created_at
    session.commit()
    answers = []
    for phone in ("13922223333", "13900000000"):
        hashes_checked.clear()
        response = client.post(f"{API}/auth/token", json={"phone": phone, "password": "wrong!"})
        answers.append((response.status_code, response.get_json()))
        assert len(hashes_checked) == 1, phone
    assert answers[0] == answers[1]
