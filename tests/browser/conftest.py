"""Fixtures of the browser tests: Debian's headless Chromium driven by Playwright (sync API).

Chromium must be at /usr/bin/chromium: without it the tests skip, or fail when ``CI`` is set.
Each test gets a folder of screenshots under test-artifacts/browser/<test name>/ (emptied
first), and a failing test adds a last screenshot of every page that was open.
"""

import os
import re
import shutil

import pytest

from .support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Actor, Shots, seed_shop

#: how long a page or an expectation may take before the test fails (ms)
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture()
def shots(request):
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Shots(folder)


@pytest.fixture()
def live_shop(request, live_server_factory):
    """The shop on a fresh SQLite database, seeded, with CSRF on as in production.

    A test may seed more with ``@pytest.mark.parametrize("live_shop", [fn], indirect=True)``.
    """
    return live_server_factory("sqlite", seed=getattr(request, "param", seed_shop),
                               WTF_CSRF_ENABLED=True,
                               SMS_PROVIDER="tests.support.messages:RecordingSms")


@pytest.fixture()
def people(request, browser, live_shop, shots):
    """``people(name, **context options)`` -> an Actor in a context of their own."""
    actors: list[Actor] = []

    def open_for(name: str, **options) -> Actor:
        context = browser.new_context(base_url=live_shop.url, timezone_id="Asia/Shanghai",
                                      **options)
        context.set_default_timeout(TIMEOUT_MS)
        actor = Actor(name, context, shots)
        actors.append(actor)
        return actor

    yield open_for
    report = getattr(request.node, "report_call", None)
    for actor in actors:
        if report is not None and report.failed and not actor.page.is_closed():
            try:
                actor.shot("at-failure")
            except Exception:  # noqa: BLE001 - the failure itself is what matters
                pass
        actor.context.close()
    # Whatever a test filters out of its problems, the Content-Security-Policy may refuse
    # nothing the shop's pages do.
    violations = [f"{a.name}: {v}" for a in actors for v in a.csp_violations]
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))
