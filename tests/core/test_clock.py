"""The shop's one clock: today is the shop's day, tests move it, and no code reads another."""

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from core.clock import day_end, day_start, shop_date, shop_now, shop_today, utcnow
from tests.conftest import SHOP_ZONE

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "fulfillment", "storefront", "crm", "demo")
OTHER_CLOCKS = re.compile(r"\bdatetime\.now\(|\bdate\.today\(|\bdatetime\.utcnow\(|\btime\.time\(")


def test_no_code_reads_the_time_but_the_clock():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "core" / "clock.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if OTHER_CLOCKS.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "read the time from core.clock:\n" + "\n".join(found)


def test_today_is_the_shops_day_not_the_servers(app, clock):
    evening_utc = datetime.combine(clock.today(), time(20, 0), UTC)  # 04:00 next day there
    clock.move_to(evening_utc)
    with app.app_context():
        assert utcnow() == evening_utc
        assert shop_now().utcoffset() == timedelta(hours=8)
        assert shop_today() == evening_utc.date() + timedelta(days=1)
        assert shop_date(evening_utc) == shop_today()
        start, end = day_start(shop_today()), day_end(shop_today())
    assert start == datetime.combine(shop_today_of(evening_utc), time(0), SHOP_ZONE)
    assert end - start == timedelta(days=1) and start <= evening_utc < end


def shop_today_of(moment: datetime) -> date:
    return moment.astimezone(SHOP_ZONE).date()


def test_the_clock_stands_still_and_moves_when_told(clock):
    first = clock.now
    assert clock.now == first
    clock.shift(timedelta(days=3))
    assert clock.now == first + timedelta(days=3)
    with pytest.raises(ValueError):
        clock.move_to(datetime(2030, 1, 1))  # naive: which zone?


def test_shift_days_runs_the_session_on_a_later_day(tmp_path, request):
    """``--shift-days`` moves the session's clock (said in the header) and the clock fixture."""
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import os\nfrom datetime import date\n\n"
        "def test_today(clock):\n"
        "    real = date.fromisoformat(os.environ['REAL_TODAY'])\n"
        "    assert 399 <= (clock.today() - real).days <= 401\n")
    real = datetime.now(SHOP_ZONE).date() - timedelta(
        days=request.config.getoption("--shift-days"))  # this session may be shifted itself
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "-W", "ignore::pytest.PytestUnknownMarkWarning", "--shift-days", "400",
         "--rootdir", str(tmp_path), str(probe)],
        cwd=ROOT, env=dict(os.environ, REAL_TODAY=real.isoformat()),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clock: shifted by +400 days" in result.stdout
