"""Counting attempts (wrong pickup codes, failed sign-ins, codes sent) in memory or in Redis.

Without ``REDIS_URL`` every worker process counts alone (a limit of 5 lets through 5 per
worker); with it the counters are shared by every worker on every machine.
"""

import math

from flask import current_app, request
from limits import parse, parse_many, storage, strategies

from .clock import utcnow
from .errors import TooManyRequests
from .phones import mobile_number


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

    def take(self, key: str, limits: str) -> int:
        """Count one attempt of ``key`` atomically, if every limit allows it: 0 when it
        did, else the seconds to wait (nothing counted). Requests that race cannot both
        take the last place."""
        for item in parse_many(limits):
            if not self._strategy.hit(item, key):
                return self.wait(key, limits) or 1
        return 0

    def clear(self, key: str, limits: str) -> None:
        for item in parse_many(limits):
            self._strategy.clear(item, key)


attempts = AttemptLimiter()


def client_address() -> str:
    """The client's address: the peer's, or what ``PROXY_HOPS`` trusted proxies said."""
    return request.remote_addr or "unknown"


class SignInGuard:
    """The limits on guessing, the same on the pages and the API.

    Tries count by account and client address together (so the owner elsewhere is never
    locked out by a stranger): each try takes its place before the password or code is
    looked at, atomically, so tries sent at once cannot outrun the limit; a success gives
    the places back. Failures also count by client address alone (one address guessing
    many accounts). Nothing counts by account alone: that would let anyone lock an admin
    out. An account is named the same however it is spelt (``+86 138-1234-5678`` is
    ``13812345678``; e-mails without case or spaces).
    """

    def attempt(self, identifier: str) -> None:
        """Take a try for ``identifier`` from this address, or raise ``TooManyRequests``."""
        config = current_app.config
        address = client_address()
        seconds = attempts.wait(f"signin-addr:{address}", config["SIGNIN_LIMIT_PER_ADDRESS"])
        seconds = seconds or attempts.take(self._pair(identifier, address),
                                           config["SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS"])
        if seconds:
            raise TooManyRequests(seconds)

    def failed(self, identifier: str) -> None:
        attempts.count(f"signin-addr:{client_address()}",
                       current_app.config["SIGNIN_LIMIT_PER_ADDRESS"])

    def passed(self, identifier: str) -> None:
        attempts.clear(self._pair(identifier, client_address()),
                       current_app.config["SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS"])

    @staticmethod
    def _pair(identifier: str, address: str) -> str:
        named = mobile_number(identifier) or "".join(identifier.split()).lower()
        return f"signin:{named}|{address}"


sign_in_guard = SignInGuard()
