"""Signing in for the tests of pages."""

from flask import g

from core.extensions import db
from core.sessions import start_session


def session_token(user) -> str:
    """A server-side session for ``user``, committed; its token is what the cookie holds."""
    token = start_session(user)
    db.session.commit()
    return token


def login(client, user, lang="en"):
    """Sign ``user`` in. Commits the test's rows first: a request that rolls back (an error
    page, a refused checkout) would otherwise take them with it. ``lang`` is the language
    cookie (the assertions read the English msgids); None sets none."""
    token = session_token(user)
    g.pop("_login_user", None)  # the test's app context outlives requests; so does g
    if lang:
        client.set_cookie("lang", lang)
    with client.session_transaction() as s:
        s["_user_id"] = token
        s["_fresh"] = True
