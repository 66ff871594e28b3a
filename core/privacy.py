"""What staff see of a person's details: a phone number never shows whole on a list."""


def mask_phone(phone: str | None, *, keep_prefix: int = 0) -> str:
    """All but the last four digits hidden, and the first ``keep_prefix`` shown:
    ``13812345678`` -> ``*******5678`` (the desk), ``138****5678`` with ``keep_prefix=3``
    (the customer center). A number too short to hide anything that way is all stars."""
    digits = (phone or "").strip()
    if len(digits) <= 4 or len(digits) < keep_prefix + 4:
        return "*" * len(digits)
    return digits[:keep_prefix] + "*" * (len(digits) - keep_prefix - 4) + digits[-4:]
