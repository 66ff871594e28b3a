"""Dates the tests compute."""


def months_ago(today, months):
    """A birth date ``months`` whole months before ``today``."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return today.replace(year=year, month=month + 1, day=min(today.day, 28))
