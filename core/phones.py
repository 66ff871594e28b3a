"""Mobile numbers as the shop keeps them: the 11 digits, without +86, spaces or dashes."""

import re

_MOBILE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")


def mobile_number(text: str | None) -> str | None:
    """The 11-digit mainland mobile number in ``text``, or None when it is not one."""
    if not text:
        return None
    match = _MOBILE.fullmatch(re.sub(r"[\s\-()]", "", text))
    return match.group(1) if match else None
