"""Money in integer minor units (fen for CNY), shown with Babel in the reader's locale."""

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision

#: the sign the shop writes for a currency whatever the language (Babel's en says "CN¥")
SHOP_SYMBOLS = {"CNY": "¥"}


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  #: minor units
    currency: str = "CNY"

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("money amounts are integers in minor units")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, n: int) -> "Money":
        return Money(self.amount * int(n), self.currency)

    def _same(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def to_json(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}

    def format(self, locale: str) -> str:
        return format_money(self.amount, self.currency, locale)


def format_money(amount: int, currency: str, locale: str) -> str:
    """``12800, 'CNY', 'zh_CN'`` -> ``'¥128.00'``; in ``'en'`` too (not ``'CN¥128.00'``)."""
    return _formatted(int(amount), currency, str(locale))


@lru_cache(maxsize=8192)
def _formatted(amount: int, currency: str, locale: str) -> str:
    # Remembered: a list page shows the same prices on every request, and Babel takes tens
    # of microseconds for each.
    digits = get_currency_precision(currency)
    return format_currency(Decimal(amount).scaleb(-digits), currency,
                           format=_pattern(str(locale), currency), locale=locale)


@lru_cache(maxsize=64)
def _pattern(locale: str, currency: str) -> str | None:
    """The locale's currency pattern with the shop's sign in place of Babel's, if it has one."""
    symbol = SHOP_SYMBOLS.get(currency)
    if symbol is None:
        return None
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    return pattern.replace("¤", f"'{symbol}'")
