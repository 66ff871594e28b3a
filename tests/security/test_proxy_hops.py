"""Behind a reverse proxy, the client's address, scheme and host come from X-Forwarded-*
only when ``PROXY_HOPS`` says how many proxies to trust (finding 10: without ProxyFix,
``url_for(_external=True)`` - Stripe's return_url - said http:// behind TLS, and the
client's address was the proxy's)."""

import pytest
from flask import jsonify, request, url_for

from core.config import load_config
from tests.conftest import make_app

FORWARDED = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "shop.example"}


@pytest.fixture()
def probe(tmp_path):
    """A shop built with ``PROXY_HOPS=hops``, and what it makes of one request."""

    def ask(hops: int | None, headers: dict) -> dict:
        extra = {} if hops is None else {"PROXY_HOPS": hops}
        app = make_app(f"sqlite:///{tmp_path}/probe.db", tmp_path / f"instance-{hops}", **extra)

        @app.route("/_probe")
        def _probe():
            return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host,
                           home=url_for("storefront.home", _external=True))

        return app.test_client().get("/_probe", headers=headers).get_json()

    return ask


def test_without_proxy_hops_forwarded_headers_are_ignored(probe):
    """Anyone can send X-Forwarded-For: with no proxy configured it must not count."""
    seen = probe(None, FORWARDED)
    assert seen == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost",
                    "home": "http://localhost/"}
    assert probe(0, FORWARDED)["addr"] == "127.0.0.1"


def test_one_trusted_proxy_gives_the_client_and_https(probe):
    seen = probe(1, FORWARDED)
    assert seen["addr"] == "203.0.113.9"  # the address our proxy saw, not what the client wrote
    assert seen["scheme"] == "https"
    assert seen["host"] == "shop.example"
    assert seen["home"] == "https://shop.example/"


def test_two_trusted_proxies(probe):
    seen = probe(2, {**FORWARDED, "X-Forwarded-For": "192.0.2.1, 198.51.100.7, 203.0.113.9",
                     "X-Forwarded-Proto": "https, https",
                     "X-Forwarded-Host": "shop.example, edge.internal"})
    assert seen["addr"] == "198.51.100.7"
    assert seen["host"] == "shop.example"


def test_a_proxy_that_sends_nothing_changes_nothing(probe):
    assert probe(1, {})["addr"] == "127.0.0.1"


def test_proxy_hops_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("PROXY_HOPS", raising=False)
    assert load_config(str(tmp_path))["PROXY_HOPS"] == 0
    monkeypatch.setenv("PROXY_HOPS", "2")
    assert load_config(str(tmp_path))["PROXY_HOPS"] == 2
    monkeypatch.setenv("PROXY_HOPS", "two")
    with pytest.raises(ValueError, match="PROXY_HOPS must be a whole number"):
        load_config(str(tmp_path))


# --- the sign-in limits count the client, not the proxy, and not what a client writes -------


def test_a_forged_forwarded_for_gives_a_guesser_no_fresh_address(client, make_user, session):
    """Without PROXY_HOPS, writing another X-Forwarded-For on each try changes nothing."""
    from tests.conftest import PASSWORD

    user = make_user()
    session.commit()
    statuses = [client.post("/api/v1/auth/token", json={"email": user.email, "password": "x"},
                            headers={"X-Forwarded-For": f"192.0.2.{n}"},
                            environ_base={"REMOTE_ADDR": "203.0.113.66"}).status_code
                for n in range(1, 11)]
    assert statuses == [401] * 5 + [429] * 5
    assert client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


def test_behind_a_trusted_proxy_the_limits_count_each_client(app, client, make_user, session,
                                                            monkeypatch):
    """Every request comes from the proxy's address; with PROXY_HOPS=1 (ProxyFix, as
    ``core.security`` wraps the app) the guesser is stopped and the owner, behind the same
    proxy, still signs in at once."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from tests.conftest import PASSWORD

    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1))
    user = make_user()
    session.commit()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def token(password, client_address):
        return client.post("/api/v1/auth/token", environ_base=proxy,
                           json={"email": user.email, "password": password},
                           headers={"X-Forwarded-For": client_address}).status_code

    assert [token(f"guess{i}", "203.0.113.66") for i in range(8)] == [401] * 5 + [429] * 3
    assert token(PASSWORD, "198.51.100.7") == 200
