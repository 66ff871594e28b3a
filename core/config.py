"""Configuration from the environment, with zero-set-up defaults."""

import os
from datetime import timedelta
from pathlib import Path

from .instance import secret_key


def _secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, or one kept in the instance folder.

    Kept in a file (0600, see ``core.instance``) so that every gunicorn worker and every
    restart signs cookies alike.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    return secret_key(instance_path)


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _number(name: str, default: float) -> tuple[float, str]:
    """The setting as a number (-1 when it is not one), and as given."""
    value = os.environ.get(name, "").strip() or str(default)
    try:
        return float(value), value
    except ValueError:
        return -1.0, value


def _seconds(name: str, default: float) -> float:
    seconds, value = _number(name, default)
    if not 0 <= seconds <= 3600:
        raise ValueError(f"{name} must be a number of seconds from 0 to 3600, not {value!r}")
    return seconds


def _share(name: str, default: float) -> float:
    share, value = _number(name, default)
    if not 0 < share <= 1:
        raise ValueError(f"{name} must be a share above 0 and at most 1, not {value!r}")
    return share


def load_config(instance_path: str) -> dict:
    """The app's settings; every one can be overridden by an environment variable."""
    secure_cookies = os.environ.get("SESSION_COOKIE_SECURE") == "1"
    redis_url = os.environ.get("REDIS_URL")
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "shop.db")
    )
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        #: hide_parameters: an error's text (and so the log) never holds the values of a
        #: statement (phones, e-mails, codes). A connection the server closed is found
        #: without a ping (core/database.py, ``_still_connected``).
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        #: how long a signed-in browser lasts at most (server-side session and remember-me)
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        #: Strict-Transport-Security max-age, sent while SESSION_COOKIE_SECURE is on
        "HSTS_SECONDS": _whole_number("HSTS_SECONDS", 365 * 24 * 3600),
        #: reverse proxies in front of the shop whose X-Forwarded-For/-Proto/-Host are
        #: trusted (0: none, the headers are ignored)
        "PROXY_HOPS": _whole_number("PROXY_HOPS", 0),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "SHOP_LOCALES": ["zh_CN", "en"],
        "SHOP_TIMEZONE": os.environ.get("SHOP_TIMEZONE", "Asia/Shanghai"),
        "SHOP_CURRENCY": "CNY",
        "SHOP_NAME": os.environ.get("SHOP_NAME", "Haiyun"),
        "REDIS_URL": redis_url,
        #: who may read /metrics: addresses or networks, comma-separated
        "METRICS_ALLOW": os.environ.get("METRICS_ALLOW", "127.0.0.0/8,::1"),
        #: "json": one JSON object a log line, and one a request (core/requestlog.py)
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        #: error reports to Sentry (personal data scrubbed); empty: none
        "SENTRY_DSN": os.environ.get("SENTRY_DSN") or None,
        "SENTRY_ENVIRONMENT": os.environ.get("SENTRY_ENVIRONMENT") or None,
        "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_DEFAULT_TIMEOUT": 300,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        #: wrong pickup codes allowed per fulfillment before the desk is told to wait
        "HANDOVER_WRONG_CODE_LIMIT": "5 per 15 minutes",
        #: unknown VIP cards a member of staff may look up at the desk before waiting
        "DESK_CARD_LOOKUP_LIMIT": "20 per 15 minutes",
        #: wrong passwords or codes for one account from one client address, and from one
        #: address over all accounts, before 429 (nothing limits an account alone)
        "SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS": "5 per 15 minutes",
        "SIGNIN_LIMIT_PER_ADDRESS": "30 per hour",
        #: SMS codes sent to one phone from one client address, to one phone from anywhere
        #: (looser: a stranger cannot use up a shopper's codes), and from one client address
        "CODE_LIMIT_PER_PHONE": "1 per minute; 5 per hour",
        "CODE_LIMIT_PER_PHONE_ALONE": "3 per minute; 10 per hour; 30 per day",
        "CODE_LIMIT_PER_ADDRESS": "20 per hour",
        #: e-mails (links) asked for one address, and registrations from one client address
        "LINK_LIMIT_PER_EMAIL": "1 per minute; 5 per hour",
        "REGISTER_LIMIT_PER_ADDRESS": "10 per hour",
        #: minutes a code sent by SMS is good for, and an e-mailed link
        "CODE_MINUTES": 5,
        "LINK_MINUTES": 60,
        "API_TOKEN_DAYS": 30,
        #: minutes an uploaded customer sheet waits for its import to be confirmed; the
        #: import_previews job removes older ones
        "IMPORT_PREVIEW_MINUTES": _whole_number("IMPORT_PREVIEW_MINUTES", 60),
        "UPLOAD_FOLDER": str(Path(instance_path) / "uploads"),
        #: uploaded images in an S3-compatible store (s3://bucket/prefix; core/storage.py),
        #: its address (empty for AWS; keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY),
        #: and the address pages link images at instead of /uploads/ (a CDN, the bucket)
        "STORAGE_URL": os.environ.get("STORAGE_URL") or None,
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "STORAGE_PUBLIC_URL": os.environ.get("STORAGE_PUBLIC_URL") or None,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY"),
        #: Stripe's API address; tests point it at a local localstripe server
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE"),
        #: Stripe.js, which the Payment Element must load from Stripe
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3"),
        #: the payment methods offered online (Stripe's names)
        "STRIPE_PAYMENT_METHOD_TYPES": os.environ.get(
            "STRIPE_PAYMENT_METHOD_TYPES", "card,alipay,wechat_pay").split(","),
        #: whether the server filters lists by ``created`` (localstripe does not)
        "STRIPE_LIST_FILTERS_CREATED": True,
        "STRIPE_MAX_NETWORK_RETRIES": 2,
        #: minutes an unpaid online order holds its stock before it expires
        "PAYMENT_EXPIRY_MINUTES": int(os.environ.get("PAYMENT_EXPIRY_MINUTES", "30")),
        #: days after hand-over or delivery for the satisfaction call
        "FOLLOWUP_SATISFACTION_DAYS": 3,
        #: days ahead for which pickup and delivery slots are opened from the weekly windows
        "SLOT_DAYS_AHEAD": int(os.environ.get("SLOT_DAYS_AHEAD", 7)),
        #: a slot is offered only if it starts at least this many minutes from now
        "SLOT_LEAD_MINUTES": int(os.environ.get("SLOT_LEAD_MINUTES", 60)),
        #: a lot expiring within this many days is no longer sold (first-expired-first-out)
        "LOT_SELL_BY_MARGIN_DAYS": int(os.environ.get("LOT_SELL_BY_MARGIN_DAYS", 30)),
        #: what a courier shipment from a warehouse costs the shopper (fen)
        "COURIER_FEE_AMOUNT": int(os.environ.get("COURIER_FEE_AMOUNT", 2000)),
        #: days a ready pickup waits before it goes back to stock as a no-show
        "PICKUP_NO_SHOW_DAYS": int(os.environ.get("PICKUP_NO_SHOW_DAYS", 7)),
        #: days after a counter sale its goods can come back at the counter
        "COUNTER_RETURN_DAYS": int(os.environ.get("COUNTER_RETURN_DAYS", 7)),
        #: VIP points: how many make one yuan at checkout, the largest share of an order
        #: they may pay, and how long earned points last
        "POINTS_PER_YUAN": int(os.environ.get("POINTS_PER_YUAN", 100)),
        "POINTS_MAX_SHARE_PERCENT": int(os.environ.get("POINTS_MAX_SHARE_PERCENT", 50)),
        "POINTS_VALID_DAYS": int(os.environ.get("POINTS_VALID_DAYS", 730)),
        #: complaint SLA by severity: (hours to the first response, hours to resolution)
        "COMPLAINT_SLA_HOURS": {"high": (2, 24), "medium": (8, 72), "low": (24, 168)},
        #: days a coupon given as a complaint's remedy can be used
        "COMPLAINT_COUPON_DAYS": int(os.environ.get("COMPLAINT_COUPON_DAYS", "90")),
        #: unreached calls before a follow-up is closed as unreached
        "FOLLOWUP_MAX_ATTEMPTS": int(os.environ.get("FOLLOWUP_MAX_ATTEMPTS", "3")),
        #: outgoing e-mail; without MAIL_SERVER messages are written to the log
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "service@haiyun.example"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS") == "1",
        "MAIL_TIMEOUT": 10,
        #: keep messages nothing can send (no SMS provider, no MAIL_SERVER) whole in
        #: instance/demo-inbox.txt (0600), to try codes and links; scripts/serve turns it on
        "DEMO_INBOX": os.environ.get("DEMO_INBOX") == "1",
        #: "module:Class" of the SMS provider (core.messaging.SmsProvider)
        "SMS_PROVIDER": os.environ.get("SMS_PROVIDER", "core.messaging:LoggingSmsProvider"),
        #: marketing messages per customer per 7 days (service notices are not counted)
        "OUTBOX_WEEKLY_CAP": int(os.environ.get("OUTBOX_WEEKLY_CAP", "3")),
        #: attempts before a message is parked as failed (an admin can send it again)
        "OUTBOX_MAX_ATTEMPTS": 8,
        #: first retry after this many seconds, doubling each time
        "OUTBOX_RETRY_SECONDS": 60,
        "OUTBOX_BATCH": _whole_number("OUTBOX_BATCH", 100),
        #: with a broker the jobs run as Celery tasks (core/tasks.py) on this schedule
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL"),
        "CELERY_RESULT_BACKEND": os.environ.get("CELERY_RESULT_BACKEND"),
        "CELERY_QUEUE": os.environ.get("CELERY_QUEUE", "shop"),
        #: host:port where a Celery worker serves its figures (jobs, outbox) for Prometheus
        "WORKER_METRICS_BIND": os.environ.get("WORKER_METRICS_BIND") or None,
        #: the longest a checkout waits for a stock row another checkout holds (a flash
        #: sale's hot product) before answering 503 busy with Retry-After
        "CHECKOUT_LOCK_WAIT_MS": _whole_number("CHECKOUT_LOCK_WAIT_MS", 3000),
        #: a new order's buyer gets their CRM figures refreshed by the request that placed it,
        #: after its commit; "0" leaves them to the job refresh_figures_due (a flash sale
        #: with a Celery worker: the web workers spend nothing on them)
        "CRM_FIGURES_AFTER_REQUEST": os.environ.get("CRM_FIGURES_AFTER_REQUEST", "1") != "0",
        #: ... by a thread of the worker that gathers this long's buyers and refreshes them
        #: together (one refresh per moment of a flash sale, not one per order); 0: each
        #: request refreshes its own buyer before it ends
        "CRM_FIGURES_BATCH_SECONDS": _seconds("CRM_FIGURES_BATCH_SECONDS", 0.5),
        #: ... and spends at most this share of its time refreshing: after a refresh that
        #: took t, it gathers for t * (1 / share - 1) at least (a long sale of returning
        #: buyers, whose refreshes read more orders each time, lags the figures by seconds
        #: instead of taking the checkouts' cores); 1: no limit
        "CRM_FIGURES_REFRESH_SHARE": _share("CRM_FIGURES_REFRESH_SHARE", 0.1),
        #: sign-in links and reset messages leave from a thread of the worker after the
        #: answer (core.background), so the answer takes as long whether or not an account
        #: exists; "0" sends them in the request (a shell, the tests)
        "SEND_AFTER_ANSWER": os.environ.get("SEND_AFTER_ANSWER", "1") != "0",
        "JOB_SCHEDULE_SECONDS": {"default": 300, "deliver_outbox": 60, "refresh_figures_due": 10,
                                 "recompute_figures": 3600, "tag_rules": 3600,
                                 "segment_snapshot": 86400, "measure_months": 3600,
                                 "purge_idempotency_keys": 3600},
    }
