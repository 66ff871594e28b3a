"""core.app's Flask: what it remembers between requests changes nothing it answers."""

import pytest


def test_the_session_signer_is_made_once_for_each_secret(app):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    kept = app.secret_key
    try:
        app.secret_key = "another secret"
        other = interface.get_signing_serializer(app)
        assert other is not first
        assert other.loads(other.dumps({"a": 1})) == {"a": 1}
    finally:
        app.secret_key = kept
    assert interface.get_signing_serializer(app) is not other


def test_a_cookie_signed_under_an_old_secret_is_refused_after_the_secret_changes(app):
    interface = app.session_interface
    cookie = f"{app.config['SESSION_COOKIE_NAME']}=" + \
        interface.get_signing_serializer(app).dumps({"seen": 1})
    with app.test_request_context(headers={"Cookie": cookie}) as ctx:
        assert interface.open_session(app, ctx.request)["seen"] == 1
    kept = app.secret_key
    try:
        app.secret_key = "rotated without a fallback"
        with app.test_request_context(headers={"Cookie": cookie}) as ctx:
            assert "seen" not in interface.open_session(app, ctx.request)
    finally:
        app.secret_key = kept


def test_hooks_and_views_are_looked_at_once_and_coroutines_are_not_remembered(app):
    def plain():
        return "plain"

    async def waits():
        return "waited"

    assert app.ensure_sync(plain) is plain and plain in app._sync
    assert app.ensure_sync(plain) is plain
    with pytest.raises(RuntimeError, match="async"):  # Flask's answer without its extra
        app.ensure_sync(waits)
    assert waits not in app._sync
