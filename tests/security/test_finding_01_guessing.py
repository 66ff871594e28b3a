"""Finding 1 (high): sign-in could be guessed at without limit over the API, and the page's
limit did not apply to it. Now one limiter serves both: by account and client address
together, and by address alone; 429 with Retry-After. The owner elsewhere still signs in."""

import pytest

from tests.conftest import PASSWORD

from ..api.conftest import API

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture()
def owner(make_user, session):
    user = make_user(email="crm@haiyun.example.com")
    session.commit()
    return user


def _token(client, body, where):
    return client.post(f"{API}/auth/token", json=body, environ_base=where)


def test_a_thousand_api_guesses_are_refused_after_the_first_few(client, owner):
    statuses = [
        _token(client, {"email": owner.email, "password": f"guess{i}"}, ATTACKER).status_code
        for i in range(1000)]
    assert set(statuses[:5]) == {401}
    assert set(statuses[5:]) == {429}
    refused = _token(client, {"email": owner.email, "password": PASSWORD}, ATTACKER)
    assert refused.status_code == 429  # even the right password: the guesser learns nothing
    assert refused.get_json()["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # The real owner, from another address, signs in at once.
    assert _token(client, {"email": owner.email, "password": PASSWORD}, OWNER).status_code == 200


def test_a_thousand_page_guesses_are_refused_after_the_first_few(client, owner):
    statuses = [
        client.post("/login", data={"identifier": owner.email, "password": f"guess{i}"},
                    environ_base=ATTACKER).status_code
        for i in range(1000)]
    assert set(statuses[:5]) == {400}
    assert set(statuses[5:]) == {429}
    response = client.post("/login", data={"identifier": owner.email, "password": PASSWORD},
                           environ_base=ATTACKER)
    assert response.status_code == 429 and response.headers["Retry-After"]
    response = client.post("/login", data={"identifier": owner.email, "password": PASSWORD},
                           environ_base=OWNER)
    assert response.status_code == 302


def test_the_page_and_the_api_count_together(client, owner):
    for i in range(5):
        client.post("/login", data={"identifier": owner.email, "password": f"guess{i}"},
                    environ_base=ATTACKER)
    response = _token(client, {"email": owner.email, "password": PASSWORD}, ATTACKER)
    assert response.status_code == 429


def test_one_address_guessing_many_accounts_is_stopped(client, make_user, session):
    users = [make_user() for _ in range(10)]
    session.commit()
    statuses = [
        _token(client, {"email": user.email, "password": f"guess{i}"}, ATTACKER).status_code
        for user in users for i in range(4)]
    assert statuses[:30] == [401] * 30 and set(statuses[30:]) == {429}
    assert _token(client, {"email": users[0].email, "password": PASSWORD},
                  OWNER).status_code == 200


def test_codes_are_guessed_no_better(client, sms, session):
    phone = "13912340000"
    assert client.post(f"{API}/auth/otp", json={"phone": phone},
                       environ_base=OWNER).status_code == 202
    statuses = [
        _token(client, {"phone": phone, "code": f"{i:06d}"}, ATTACKER).status_code
        for i in range(200) if f"{i:06d}" != sms.code_for(phone)]
    assert set(statuses[:5]) == {401} and set(statuses[5:]) == {429}


def test_spelling_a_number_another_way_is_the_same_account(client, make_user, session):
    user = make_user(phone="13812345678")
    user.phone_verified_at = user.created_at
    session.commit()
    spellings = ["13812345678", "+8613812345678", "138 1234 5678", "138-1234-5678",
                 "(138)12345678", "+86 138 1234 5678", "86 13812345678", " 13812345678 "]
    statuses = [_token(client, {"email": spelt, "password": "wrong"}, ATTACKER).status_code
                for spelt in spellings]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
