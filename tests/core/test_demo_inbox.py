"""The demo run keeps unsendable codes and links in a private file, never in the log."""

import logging
import os
import stat

from core.messaging import LoggingSmsProvider, send_email


def test_codes_go_to_a_private_demo_inbox_and_never_to_the_log(app, session, monkeypatch,
                                                              tmp_path, caplog):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    inbox = tmp_path / "demo-inbox.txt"
    with app.test_request_context():
        monkeypatch.setitem(app.config, "DEMO_INBOX", False)
        LoggingSmsProvider(app).send("13812345678", "code 987650")
        assert not inbox.exists()
        monkeypatch.setitem(app.config, "DEMO_INBOX", True)
        with caplog.at_level(logging.INFO, logger="core.messaging"):
            LoggingSmsProvider(app).send("13812345678", "code 654321")
            send_email("mei@example.com", "Confirm", "open https://shop.test/x/TOKEN42")
    text = inbox.read_text()
    assert "13812345678" in text and "654321" in text and "TOKEN42" in text
    assert "987650" not in text
    assert stat.S_IMODE(os.stat(inbox).st_mode) == 0o600
    assert "654321" not in caplog.text and "TOKEN42" not in caplog.text
    assert "13812345678" not in caplog.text
