"""Counting attempts (wrong pickup codes, failed sign-ins, codes sent) in memory or in Redis.

Without ``REDIS_URL`` every worker process counts alone (a limit of 5 lets through 5 per
worker); with it the counters are shared by every worker on every machine.
"""

import math

from flask import current_app, request
from limits import parse, parse_many, storage, strategies

from .clock import utcnow
from .errors import TooManyRequests


class AttemptLimiter:
    """Counts failures per key in a moving window; ``blocked`` once the limit is reached."""

    def __init__(self):
        self._strategy = None

    def init_app(self, app) -> None:
        backend = storage.storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        self._strategy = strategies.MovingWindowRateLimiter(backend)
        app.extensions["attempt_limiter"] = self

    def blocked(self, key: str, limit: str) -> bool:
        return not self._strategy.test(parse(limit), key)

    def fail(self, key: str, limit: str) -> None:
        self._strategy.hit(parse(limit), key)

    def reset(self, key: str, limit: str) -> None:
        self._strategy.clear(parse(limit), key)

    def wait(self, key: str, limits: str) -> int:
        """Seconds until ``key`` may try again under every limit of ``limits`` ("5 per
        minute; 20 per hour"); 0 when it may now."""
        longest = 0
        for item in parse_many(limits):
            if not self._strategy.test(item, key):
                reset_at, _ = self._strategy.get_window_stats(item, key)
                longest = max(longest, math.ceil(reset_at - utcnow().timestamp()), 1)
        return longest

    def check(self, key: str, limits: str) -> None:
        """Raise ``TooManyRequests`` (with ``Retry-After``) when ``key`` is at a limit."""
        seconds = self.wait(key, limits)
        if seconds:
            raise TooManyRequests(seconds)

    def count(self, key: str, limits: str) -> None:
        """Count one attempt of ``key`` against every limit of ``limits``."""
        for item in parse_many(limits):
            self._strategy.hit(item, key)

    def clear(self, key: str, limits: str) -> None:
        for item in parse_many(limits):
            self._strategy.clear(item, key)


attempts = AttemptLimiter()


def client_address() -> str:
    """The client's address: the peer's, or what ``PROXY_HOPS`` trusted proxies said."""
    return request.remote_addr or "unknown"


class SignInGuard:
    """The limits on guessing, the same on the pages and the API.

    Failures count by account and client address together (so the owner elsewhere is never
    locked out by a stranger) and by client address alone (one address guessing many
    accounts). Nothing counts by account alone: that would let anyone lock an admin out.
    """

    def check(self, identifier: str) -> None:
        config = current_app.config
        address = client_address()
        seconds = max(attempts.wait(self._pair(identifier, address),
                                    config["SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS"]),
                      attempts.wait(f"signin-addr:{address}", config["SIGNIN_LIMIT_PER_ADDRESS"]))
        if seconds:
            raise TooManyRequests(seconds)

    def failed(self, identifier: str) -> None:
        config = current_app.config
        address = client_address()
        attempts.count(self._pair(identifier, address),
                       config["SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS"])
        attempts.count(f"signin-addr:{address}", config["SIGNIN_LIMIT_PER_ADDRESS"])

    def passed(self, identifier: str) -> None:
        attempts.clear(self._pair(identifier, client_address()),
                       current_app.config["SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS"])

    @staticmethod
    def _pair(identifier: str, address: str) -> str:
        return f"signin:{identifier.strip().lower()}|{address}"


sign_in_guard = SignInGuard()
