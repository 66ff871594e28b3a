"""Language and time zone: zh_CN by default, en by a switch that sticks (a cookie)."""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import format_datetime, get_locale

from .money import format_money

LANG_COOKIE = "lang"


@lru_cache(maxsize=32)
def _parsed_locale(identifier: str) -> Locale:
    """Parse once: Babel's ``Locale.parse("zh_CN")`` scans every locale name on each call."""
    return Locale.parse(identifier)


def select_locale() -> Locale:
    """The cookie set by the language switch, else ``?lang=``, else the shop's default.

    The API also honours Accept-Language, since a mini-program has no cookie.
    """
    if not has_request_context():
        return _parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    locales = current_app.config["SHOP_LOCALES"]
    chosen = request.cookies.get(LANG_COOKIE) or request.args.get("lang")
    if chosen in locales:
        return _parsed_locale(chosen)
    if request.path.startswith("/api/") and request.accept_languages:
        best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
        if best:
            return _parsed_locale("zh_CN" if best.startswith("zh") else best)
    return _parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    return current_app.config["SHOP_TIMEZONE"]


def current_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def money_filter(amount: int | None, currency: str = "CNY") -> str:
    if amount is None:
        return ""
    return format_money(int(amount), currency, current_locale())


def localtime_filter(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt)


def shop_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SHOP_TIMEZONE"])


def localized(obj, field: str) -> str:
    """``obj.<field>_en`` when reading in English and it is filled, else ``obj.<field>_zh``."""
    if current_locale() == "en":
        value = getattr(obj, f"{field}_en", None)
        if value:
            return value
    return getattr(obj, f"{field}_zh", None) or getattr(obj, f"{field}_en", "") or ""


def register_i18n(app) -> None:
    app.jinja_env.filters["money"] = money_filter
    app.jinja_env.filters["localtime"] = localtime_filter
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["current_locale"] = current_locale
