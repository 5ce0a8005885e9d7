"""Browser tests: Playwright driving Debian's Chromium against a live test server."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make there are still ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MISSING = "Chromium is not installed (apt-get install chromium)"


def is_browser_test(path: str) -> bool:
    return "tests/browser/" in path


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("CI is set but no chromium is installed: browser tests cannot run")
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if is_browser_test(str(item.fspath)):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """One plain line at the end, so skipped browser tests are not mistaken for passes."""
    if CHROMIUM:
        return
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if is_browser_test(report.nodeid)
    ]
    if skipped:
        terminalreporter.write_sep("-", "browser tests not run")
        terminalreporter.write_line(
            f"{len(skipped)} browser tests skipped: {MISSING}. "
            "Install it and run make test again to check the pages in a real browser."
        )


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Playwright's own string predicates (wait_for_function) are evaluated in the page,
    which the app's Content-Security-Policy forbids; test_content_security.py checks
    the policy in a context of its own, where it holds."""
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # A microphone that plays a test tone, allowed without asking: recording a
            # sound to search with is tested like the rest.
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    }


@pytest.fixture
def tasks_inline(monkeypatch):
    """Run queued tasks in the request that queues them (the live server has no cluster)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def assert_no_horizontal_scroll(page):
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
