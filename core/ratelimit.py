"""Counting attempts (wrong pickup codes, failed logins) in memory or in Redis."""

from limits import parse, storage, strategies


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


attempts = AttemptLimiter()
