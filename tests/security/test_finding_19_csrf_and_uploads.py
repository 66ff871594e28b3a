"""Finding 19: CSRF tokens never expired (``WTF_CSRF_TIME_LIMIT=None``), and customer
sheets uploaded for an import preview stayed in ``instance/imports`` for ever.

Now a token is good as long as its session (``PERMANENT_SESSION_LIFETIME``), and a sheet
waits an hour for its confirmation: the ``import_previews`` job removes older ones."""

from datetime import timedelta
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from flask import g

from core.clock import utcnow
from core.jobs import run_job
from crm.customers import import_previews
from crm.customers.models import Customer, ImportPreview
from tests.support.pages import login

ROOT = Path(__file__).resolve().parents[2]
SHEET = "姓名,手机\n沈清秋,13811112222\n"


# --- CSRF ----------------------------------------------------------------------------------


def test_a_token_lives_as_long_as_the_session(app):
    lifetime = app.permanent_session_lifetime
    assert app.config["WTF_CSRF_TIME_LIMIT"] == int(lifetime.total_seconds())
    assert lifetime == timedelta(days=30)  # a signed-in browser's 30 days, at most


def _token(client) -> str:
    """A token as a page rendered now carries it (flask_wtf keeps the request's token in
    ``g``, which the tests' app context keeps between requests)."""
    g.pop("csrf_token", None)
    return client.get("/cart/token").get_json()["csrf_token"]


def _refresh_session(client) -> None:
    """Something changes the session, so its cookie is signed anew (it stays valid)."""
    with client.session_transaction() as s:
        s["lang_seen"] = True


def test_a_token_older_than_the_session_lifetime_is_refused(client, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client.set_cookie("lang", "en")
    old = _token(client)
    clock.shift(app.permanent_session_lifetime - timedelta(days=1))
    _refresh_session(client)  # the session is kept alive: signed anew a day before its end
    clock.shift(timedelta(days=2))
    response = client.post("/logout", data={"csrf_token": old})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": _token(client)}).status_code == 302


def test_a_page_left_open_for_a_day_still_submits(client, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    token = _token(client)
    clock.shift(timedelta(hours=26))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


# --- import previews -----------------------------------------------------------------------


def _upload(client) -> str:
    response = client.post("/crm/import", data={"file": (BytesIO(SHEET.encode()), "old.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]


def test_an_uploaded_sheet_is_private_and_removed_after_an_hour(app, client, session, shop,
                                                                runner, clock):
    login(client, shop.agent)
    token = _upload(client)
    # in the database (any node confirms it), never in a node's folder
    assert import_previews.find_preview(token) == SHEET.encode()
    assert not (Path(app.instance_path) / "imports" / f"{token}.csv").exists()

    assert run_job("import_previews", utcnow() + timedelta(minutes=59)) == "0 removed"
    assert import_previews.find_preview(token) is not None
    later = (utcnow() + timedelta(minutes=61)).isoformat()
    result = runner.invoke(args=["jobs", "run-due", "--now", later])
    assert "import_previews: 1 removed" in result.output, result.output
    assert session.execute(sa.select(ImportPreview).where(ImportPreview.token == token)
                           ).first() is None
    result = runner.invoke(args=["jobs", "run-due", "--now", later])  # again: nothing to do
    assert "import_previews: 0 removed" in result.output


def test_a_preview_older_than_an_hour_is_not_imported(client, session, shop, clock):
    login(client, shop.agent)
    token = _upload(client)
    clock.shift(timedelta(minutes=61))
    response = client.post("/crm/import", data={"token": token})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That preview has expired" in follow
    assert session.execute(sa.select(Customer).where(Customer.name == "沈清秋")).first() is None


def test_a_preview_confirmed_within_the_hour_imports(client, session, shop, clock):
    login(client, shop.agent)
    token = _upload(client)
    clock.shift(timedelta(minutes=50))
    assert client.post("/crm/import", data={"token": token}).status_code == 302
    assert session.execute(sa.select(Customer).where(Customer.name == "沈清秋")).first()
    assert import_previews.find_preview(token) is None  # imported: the sheet is gone


# --- rate limits without Redis ---------------------------------------------------------------


def test_the_operator_guide_says_limits_are_per_worker_without_redis():
    guide = (ROOT / "docs" / "operator.md").read_text()
    assert "Without `REDIS_URL` the rate-limit counters" in guide
    assert "twice its number" in guide
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "without it each gunicorn worker counts the limits" in readme
    assert "(docs/operator.md#redis)" in readme and "\n## Redis\n" in guide
