"""A center's week: opening hours per weekday and the days it is closed, as the form edits them.

The back office writes them as lines ("Sat 10:00-18:00", "Sun closed", "2026-10-01 国庆");
these functions read and write such lines. Days without a line keep the usual hours.
"""

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed

from .models import Center, CenterHoliday, CenterHours

#: what a weekday may be called on a line: English short names, 周一..周日, 1..7
_DAY_NAMES = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: i for i, name in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"))},
    **{str(i + 1): i for i in range(7)},
    "周天": 6, "星期日": 6, "星期天": 6,
    **{f"星期{c}": i for i, c in enumerate("一二三四五六")},
}
_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_CLOSED = {"closed", "休息", "关闭", "不营业"}


def parse_week(text: str | None) -> dict[int, tuple[str, str] | None]:
    """Lines of "<weekday> HH:MM-HH:MM" or "<weekday> closed" -> ``{weekday: hours or None}``."""
    week: dict[int, tuple[str, str] | None] = {}
    problems = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.replace("–", "-").replace("～", "-").split(None, 1)
        day = _DAY_NAMES.get(parts[0].lower()) if parts else None
        rest = parts[1].strip().lower() if len(parts) == 2 else ""
        if day is not None and rest in _CLOSED:
            week[day] = None
            continue
        times = [t.strip() for t in rest.split("-")]
        if day is None or len(times) != 2 or not all(_HOURS.match(t) for t in times) \
                or times[0] >= times[1]:
            problems.append(str(_l(
                "Line %(number)d (%(line)s): write a weekday and its hours, e.g. "
                "\"Sat 10:00-18:00\" or \"Sun closed\".", number=number, line=line[:40])))
            continue
        week[day] = (times[0], times[1])
    if problems:
        raise ValidationFailed(errors={"weekly_hours": problems})
    return week


def format_week(center: Center) -> str:
    lines = []
    for h in center.hours:
        lines.append(f"{_SHORT[h.weekday]} closed" if h.closed
                     else f"{_SHORT[h.weekday]} {h.opens_at}-{h.closes_at}")
    return "\n".join(lines)


def parse_holidays(text: str | None) -> dict[date, str | None]:
    """Lines of "YYYY-MM-DD [note]" -> ``{day: note}``."""
    days: dict[date, str | None] = {}
    problems = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 1)
        try:
            day = date.fromisoformat(parts[0])
        except ValueError:
            problems.append(str(_l("Line %(number)d (%(line)s): write a date as YYYY-MM-DD.",
                                   number=number, line=line[:40])))
            continue
        days[day] = parts[1][:100] if len(parts) == 2 else None
    if problems:
        raise ValidationFailed(errors={"holidays": problems})
    return days


def format_holidays(center: Center) -> str:
    return "\n".join(f"{h.day.isoformat()} {h.note or ''}".strip() for h in center.holidays)


def write_week(center: Center, week: dict, holidays: dict) -> None:
    """Replace the center's weekday hours and holidays with these (rows kept where unchanged)."""
    existing = {h.weekday: h for h in center.hours}
    for day, row in existing.items():
        if day not in week:
            center.hours.remove(row)
    for day, hours in week.items():
        row = existing.get(day)
        if row is None:
            row = CenterHours(weekday=day)
            center.hours.append(row)
        row.closed = hours is None
        row.opens_at, row.closes_at = hours or ("00:00", "00:00")
    current = {h.day: h for h in center.holidays}
    for day, row in current.items():
        if day not in holidays:
            center.holidays.remove(row)
    for day, note in holidays.items():
        if day in current:
            current[day].note = note
        else:
            center.holidays.append(CenterHoliday(day=day, note=note))
