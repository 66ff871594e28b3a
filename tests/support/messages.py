"""Catching the SMS and e-mails the shop sends at once (codes and links), in tests."""

import re
import time

from core.messaging import SmsProvider, sms_provider


class RecordingSms(SmsProvider):
    """An SMS provider that keeps every message instead of sending it."""

    def __init__(self, app=None):
        super().__init__(app)
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> str:
        self.sent.append((to, body))
        return f"test-{len(self.sent)}"

    def next_code(self, phone: str, *, after: int, timeout: float = 10) -> str:
        """The code of the first SMS to ``phone`` sent after the first ``after`` messages,
        waiting for it: a live server may send once its answer has left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for to, body in self.sent[after:]:
                if to == phone:
                    return re.search(r"\b(\d{6})\b", body).group(1)
            time.sleep(0.05)
        raise AssertionError(f"no new SMS to {phone}: {self.sent[after:]}")

    def code_for(self, phone: str) -> str:
        """The 6-digit code of the last SMS to ``phone``."""
        bodies = [body for to, body in self.sent if to == phone]
        assert bodies, f"no SMS to {phone}: {self.sent}"
        return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)


class Mailbox:
    """The e-mails sent, as ``(to, subject, body)``."""

    def __init__(self):
        self.sent: list[tuple[str, str, str]] = []

    def __call__(self, to: str, subject: str, body: str) -> str:
        self.sent.append((to, subject, body))
        return f"<test-{len(self.sent)}@mail>"

    def link_for(self, email: str) -> str:
        """The path of the last link e-mailed to ``email``."""
        bodies = [body for to, _, body in self.sent if to == email]
        assert bodies, f"no e-mail to {email}: {self.sent}"
        return re.search(r"https?://[^/\s]+(/\S+)", bodies[-1]).group(1)


def sms_of(app) -> RecordingSms:
    """The recording SMS provider of a live server's app (configured by the browser tests)."""
    with app.app_context():
        provider = sms_provider()
    assert isinstance(provider, RecordingSms), provider
    return provider
