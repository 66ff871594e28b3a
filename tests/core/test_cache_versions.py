"""The page caches' versions without Redis: a stamp per namespace in the instance folder,
mapped shared, so a bump in one process is the version every other process reads at once."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from core import cache
from core.cache import bump, version

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def namespace(app):
    if cache._uses_redis(app):
        pytest.skip("the versions are Redis's")
    return f"test-{uuid.uuid4().hex[:8]}"


def test_a_namespace_starts_at_zero_and_every_bump_moves_it_on(app, namespace):
    with app.app_context():
        assert version(namespace) == "0"
        seen = [version(namespace)]
        for _ in range(3):
            bump(app, namespace)
            seen.append(version(namespace))
    assert len(set(seen)) == 4
    assert [int(v) for v in seen] == sorted(int(v) for v in seen)


def test_bumps_within_one_tick_of_the_clock_still_differ(app, namespace, monkeypatch):
    monkeypatch.setattr(cache.time, "time_ns", lambda: 1_700_000_000_000_000_000)
    with app.app_context():
        bump(app, namespace)
        first = version(namespace)
        bump(app, namespace)
        assert int(version(namespace)) == int(first) + 1


def test_another_process_s_bump_is_seen_at_once(app, namespace):
    with app.app_context():
        bump(app, namespace)
        before = version(namespace)  # this process has the stamp mapped now
    script = ("import sys, types; from core.cache import bump; "
              "bump(types.SimpleNamespace(instance_path=sys.argv[1], config={}), sys.argv[2])")
    subprocess.run([sys.executable, "-c", script, app.instance_path, namespace], check=True,
                   cwd=ROOT, timeout=60)
    with app.app_context():
        assert version(namespace) != before
        assert int(version(namespace)) > int(before)


def test_a_stamp_written_by_the_older_scheme_is_taken_over(app, namespace):
    """Stamps used to be files whose time was the version, holding a process number: such a
    file becomes a stamp of its own, and bumps move it on."""
    stamp = Path(app.instance_path) / "cache-stamps" / namespace
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text("4242")
    with app.app_context():
        before = version(namespace)
        bump(app, namespace)
        assert version(namespace) != before
    assert stamp.stat().st_size == 8
