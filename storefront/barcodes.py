"""EAN-13, the barcode printed on a tin or box: thirteen digits, the last a check digit."""

import re

_DIGITS = re.compile(r"^\d{13}$")


def ean13_check_digit(first12: str) -> int:
    """The check digit of twelve digits: weights 1 and 3 alternating from the left."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def clean_barcode(value) -> str:
    """What was typed or scanned, without spaces and dashes (a scanner may add neither)."""
    return re.sub(r"[\s-]", "", str(value or ""))


def is_ean13(value: str) -> bool:
    """Thirteen digits whose last is the check digit of the others."""
    return bool(_DIGITS.match(value or "")) and int(value[12]) == ean13_check_digit(value[:12])
