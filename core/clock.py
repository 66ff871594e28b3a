"""The shop's clock: the one place the code reads "now" and "today".

Times are stored in UTC; "today" is a day in the shop's zone (``SHOP_TIMEZONE``, default
Asia/Shanghai), never the server's. Tests fix or move this clock with time-machine, which
moves ``datetime.now`` under every function here.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def shop_zone() -> ZoneInfo:
    """The shop's time zone."""
    return ZoneInfo(current_app.config["SHOP_TIMEZONE"])


def shop_now() -> datetime:
    """Now, in the shop's zone."""
    return utcnow().astimezone(shop_zone())


def shop_today() -> date:
    """Today's date in the shop's zone (not the server's)."""
    return shop_now().date()


def shop_date(moment: datetime) -> date:
    """The shop's calendar day that ``moment`` falls on."""
    return moment.astimezone(shop_zone()).date()


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the shop's zone, as a UTC time."""
    return datetime.combine(day, time.min, tzinfo=shop_zone()).astimezone(UTC)


def day_end(day: date) -> datetime:
    """Midnight at the end of ``day`` in the shop's zone, as a UTC time."""
    return day_start(day + timedelta(days=1))
