"""Finding 6: sessions could not be revoked. A signed-out cookie kept working, remember-me
lasted a year without Secure, API tokens had no revocation, and nobody could change a
password. Now sessions live on the server and every way in can be ended."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa
from flask_login.config import COOKIE_NAME

from core.models import ApiToken, UserSession
from tests.conftest import PASSWORD

from ..api.conftest import API


def _sign_in(client, user, remember=False):
    data = {"identifier": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


@pytest.fixture()
def shopper(make_user, session):
    user = make_user()
    session.commit()
    return user


def test_a_copied_cookie_stops_working_at_sign_out(app, client, shopper):
    _sign_in(client, shopper)
    stolen = _cookie(client, app.config["SESSION_COOKIE_NAME"])
    assert client.get("/account").status_code == 200
    client.post("/logout")
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert other.get("/account").status_code == 302  # to the sign-in page


def test_a_copied_remember_cookie_stops_working_at_sign_out(app, client, shopper):
    _sign_in(client, shopper, remember=True)
    remembered = _cookie(client, COOKIE_NAME)
    assert remembered
    other = app.test_client()
    other.set_cookie(COOKIE_NAME, remembered)
    assert other.get("/account").status_code == 200  # remember-me works...
    client.post("/logout")
    late = app.test_client()
    late.set_cookie(COOKIE_NAME, remembered)
    assert late.get("/account").status_code == 302  # ...until the session is ended


def test_remember_me_lasts_30_days_and_is_secure_with_the_session_cookie(app, client, shopper,
                                                                       monkeypatch):
    assert app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", True)
    response = _sign_in(client, shopper, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith(COOKIE_NAME + "="))
    assert "Secure" in remember and "HttpOnly" in remember
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    assert expires <= datetime.now(UTC) + timedelta(days=30, minutes=1)
    from core.config import load_config
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    config = load_config(app.instance_path)
    assert config["REMEMBER_COOKIE_SECURE"] is True and config["SESSION_COOKIE_SECURE"] is True


def test_a_session_expires_on_the_server(client, shopper, clock):
    _sign_in(client, shopper)
    clock.shift(timedelta(days=30, minutes=1))
    assert client.get("/account").status_code == 302


def test_sign_out_everywhere_ends_every_session_and_token(app, client, shopper, session):
    _sign_in(client, shopper)
    phone = app.test_client()
    _sign_in(phone, shopper)
    token = client.post(f"{API}/auth/token", json={"email": shopper.email,
                                                   "password": PASSWORD}).get_json()["token"]
    assert client.post("/account/sign-out-everywhere").status_code == 302
    assert phone.get("/account").status_code == 302
    assert client.get("/account").status_code == 302
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert session.execute(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.user_id == shopper.id)).scalar_one() == 0


def test_delete_token_revokes_only_that_token(client, shopper, session):
    def token():
        return client.post(f"{API}/auth/token", json={"email": shopper.email,
                                                      "password": PASSWORD}).get_json()["token"]

    first, second = token(), token()
    response = client.delete(f"{API}/auth/token", headers={"Authorization": f"Bearer {first}"})
    assert response.status_code == 204
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    assert client.delete(f"{API}/auth/token").status_code == 401


def test_changing_the_password_ends_the_other_sessions_and_tokens(app, client, shopper):
    _sign_in(client, shopper)
    laptop = app.test_client()
    _sign_in(laptop, shopper)
    token = client.post(f"{API}/auth/token", json={"email": shopper.email,
                                                   "password": PASSWORD}).get_json()["token"]
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": "a brand new one", "confirm": "a brand new one"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this browser stays signed in
    assert laptop.get("/account").status_code == 302
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    client.post("/logout")
    assert client.post("/login", data={"identifier": shopper.email,
                                       "password": "a brand new one"}).status_code == 302


def test_changing_the_password_needs_the_current_one(client, shopper, session):
    client.set_cookie("lang", "en")
    _sign_in(client, shopper)
    before = shopper.password_hash
    response = client.post("/account/password", data={
        "current": "not it", "password": "a brand new one", "confirm": "a brand new one"})
    assert response.status_code == 400
    assert "The current password is wrong." in response.get_data(as_text=True)
    session.refresh(shopper)
    assert shopper.password_hash == before


def test_api_password_change_keeps_the_token_used(client, shopper, session):
    def token():
        return client.post(f"{API}/auth/token", json={"email": shopper.email,
                                                      "password": PASSWORD}).get_json()["token"]

    used, other = token(), token()
    wrong = client.post(f"{API}/me/password", headers={"Authorization": f"Bearer {used}"},
                        json={"current_password": "nope", "password": "a brand new one"})
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "invalid_credentials"
    response = client.post(f"{API}/me/password", headers={"Authorization": f"Bearer {used}"},
                           json={"current_password": PASSWORD, "password": "a brand new one"})
    assert response.status_code == 204
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {used}"}).status_code == 200
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    assert session.execute(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == shopper.id)).scalar_one() == 1
