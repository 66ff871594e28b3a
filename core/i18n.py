"""Language and time zone: zh_CN by default, en by a switch that sticks (a cookie)."""

from datetime import datetime
from functools import cached_property, lru_cache

from babel import Locale
from babel.dates import get_datetime_format
from babel.support import NullTranslations, Translations
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import (
    Babel,
    Domain,
    force_locale,
    format_date,
    format_datetime,
    format_time,
    get_babel,
    get_locale,
    get_timezone,
    get_translations,
)
from jinja2 import pass_eval_context
from markupsafe import Markup

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
    # the cookies and the query are parsed only when the request has some (an API call,
    # most often, has neither)
    environ = request.environ
    chosen = ((environ.get("HTTP_COOKIE") and request.cookies.get(LANG_COOKIE))
              or (environ.get("QUERY_STRING") and request.args.get("lang")))
    if chosen in locales:
        return _parsed_locale(chosen)
    if (environ.get("HTTP_ACCEPT_LANGUAGE") and request.path.startswith("/api/")
            and request.accept_languages):
        best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
        if best:
            return _parsed_locale("zh_CN" if best.startswith("zh") else best)
    return _parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    return current_app.config["SHOP_TIMEZONE"]


def current_locale() -> str:
    locale = get_locale()
    return _locale_name(locale) if locale is not None else current_app.config[
        "BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=32)
def _locale_name(locale: Locale) -> str:
    """``str(locale)``, remembered: an answer's every localized field asks."""
    return str(locale)


def in_locale(identifier: str):
    """Flask-Babel's ``force_locale`` given the parsed locale (``force_locale`` parses its
    argument, which scans Babel's locale names each time)."""
    return force_locale(_parsed_locale(identifier))


def money_filter(amount: int | None, currency: str = "CNY") -> str:
    if amount is None:
        return ""
    return format_money(int(amount), currency, current_locale())


def localtime_filter(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC time in the shop's zone. "medium" (the default) is the day and the minute:
    seconds say nothing to a reader ("2026年11月29日 15:08", "Nov 29, 2026, 3:08 PM").

    Remembered per time, format, language and zone: a list page shows the same times on
    every request, and Babel takes tens of microseconds for each."""
    if value is None:
        return ""
    return _localtime(value, fmt, str(get_locale()), str(get_timezone()))


@lru_cache(maxsize=8192)
def _localtime(value: datetime, fmt: str, _locale: str, _zone: str) -> str:
    # The locale and zone are the request's (Flask-Babel reads them); they are in the key.
    if fmt == "medium":
        pattern = get_datetime_format("medium", locale=get_locale())
        return pattern.replace("'", "").format(format_time(value, "short"),
                                               format_date(value, "medium"))
    return format_datetime(value, fmt)


def localized(obj, field: str) -> str:
    """``obj.<field>_en`` when reading in English and it is filled, else ``obj.<field>_zh``."""
    return _localized(obj, field, current_locale())


def _localized(obj, field: str, locale: str) -> str:
    if locale == "en":
        value = getattr(obj, f"{field}_en", None)
        if value:
            return value
    return getattr(obj, f"{field}_zh", None) or getattr(obj, f"{field}_en", "") or ""


def catalogue_names(locale: Locale) -> list[str]:
    """The folder names a locale's catalogue may have, most precise first.

    Babel names ``zh_CN`` ``zh_Hans_CN`` (it adds the script); the catalogues live in
    ``translations/zh_CN``, so the name without the script is tried as well.
    """
    names = [str(locale)]
    if locale.script and locale.territory:
        names.append(f"{locale.language}_{locale.territory}")
    names.append(locale.language)
    return list(dict.fromkeys(names))


class CatalogueDomain(Domain):
    """Flask-Babel's message domain, finding catalogues by ``catalogue_names``.

    Catalogues are cached per app, and only once found: Flask-Babel keeps one cache for
    every app of the process and caches a catalogue it could not find as an empty one,
    so a request served while a ``.mo`` file was missing would leave the whole process
    speaking English.
    """

    def get_translations(self):
        """The catalogue of the request's locale, remembered for the request: a page calls
        ``_()`` hundreds of times, and finding the locale again costs more than translating.
        The memo holds the locale object it was found for, so ``force_locale`` and
        ``refresh`` (which replace that object) are obeyed."""
        if not has_app_context():
            return NullTranslations()
        ctx = g.get("_flask_babel")
        memo = getattr(ctx, "shop_translations", None)
        if memo is not None and memo[0] is getattr(ctx, "babel_locale", None):
            return memo[1]
        translations = self._find_translations()
        ctx = g.get("_flask_babel")
        if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
            ctx.shop_translations = (ctx.babel_locale, translations)
        return translations

    def _find_translations(self):
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        return self.catalogue_of(locale)

    def catalogue_of(self, locale: Locale):
        """The catalogue of ``locale``, whatever the request's (cached per app once found)."""
        cache = current_app.extensions.setdefault("catalogues", {})
        key = (str(locale), self.domain[0])
        if key in cache:
            return cache[key]
        translations, found = Translations(), False
        for index, dirname in enumerate(self.translation_directories):
            domain = self.domain[0] if len(self.domain) == 1 else self.domain[index]
            catalogue = Translations.load(dirname, catalogue_names(locale), domain)
            if isinstance(catalogue, Translations):
                found = True
                translations.merge(catalogue)
                translations.plural = catalogue.plural
        if found:
            cache[key] = translations
        return translations


class Words:
    """Messages, amounts and names in one language, whatever the request's: a message the
    shop writes in its own language while serving a shopper reading English (an order's
    confirmation). Called as ``_``, it is Flask-Babel's ``gettext`` bound to that language's
    catalogue, found once: ``force_locale`` makes every string find the domain, the locale
    and the catalogue again (about fifteen microseconds a string in a request)."""

    def __init__(self, identifier: str):
        self.locale = identifier
        self._catalogue = get_babel().instance.domain_instance.catalogue_of(
            _parsed_locale(identifier))

    def __call__(self, message: str, **variables) -> str:
        text = self._catalogue.ugettext(message)
        return text % variables if variables else text

    def money(self, amount: int | None, currency: str = "CNY") -> str:
        """``money_filter`` in this language."""
        return "" if amount is None else format_money(int(amount), currency, self.locale)

    def localized(self, obj, field: str) -> str:
        """``localized`` in this language."""
        return _localized(obj, field, self.locale)


class ShopBabel(Babel):
    """Flask-Babel with the shop's catalogue lookup (``CatalogueDomain``)."""

    @cached_property
    def domain_instance(self):
        return CatalogueDomain(domain=self.domain)


def request_translations():
    """The request's catalogue: the memo ``CatalogueDomain`` keeps, else Flask-Babel's way."""
    ctx = g.get("_flask_babel")
    memo = getattr(ctx, "shop_translations", None)
    if memo is not None and memo[0] is getattr(ctx, "babel_locale", None):
        return memo[1]
    return get_translations()


def register_i18n(app) -> None:
    # Flask-Babel's template callables find the domain and the locale again for every
    # string; these reach the request's catalogue in one look-up (``_()`` is called hundreds
    # of times on a list page).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    # ``_``, ``gettext`` and ``ngettext`` as Jinja's "newstyle" ones behave, in one call
    # instead of three nested context calls.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext,
                                 ngettext=_template_ngettext)
    app.jinja_env.filters["money"] = money_filter
    app.jinja_env.filters["localtime"] = localtime_filter
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["current_locale"] = current_locale


@pass_eval_context
def _template_gettext(eval_ctx, string: str, **variables):
    rv = request_translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    # like Jinja's newstyle gettext: always a format string, so "%%" means "%"
    return rv % variables


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    rv = request_translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables
