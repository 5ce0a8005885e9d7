"""`make test` says plainly when the browser tests were skipped, and why."""

from types import SimpleNamespace

from tests.browser import conftest as browser


class Reporter:
    def __init__(self, skipped_ids):
        self.stats = {"skipped": [SimpleNamespace(nodeid=nodeid) for nodeid in skipped_ids]}
        self.lines = []

    def write_sep(self, sep, title):
        self.lines.append(title)

    def write_line(self, line):
        self.lines.append(line)


def test_the_summary_says_why_browser_tests_were_skipped(monkeypatch):
    monkeypatch.setattr(browser, "CHROMIUM", None)
    reporter = Reporter(
        ["tests/browser/test_kits.py::test_a[chromium]", "tests/browser/test_kits.py::test_b[chromium]",
         "tests/library/test_x.py::test_c"]
    )  # fmt: skip
    browser.pytest_terminal_summary(reporter)
    text = "\n".join(reporter.lines)
    assert "2 browser tests skipped: Chromium is not installed" in text
    assert "apt-get install chromium" in text


def test_the_summary_is_quiet_when_chromium_is_there(monkeypatch):
    monkeypatch.setattr(browser, "CHROMIUM", "/usr/bin/chromium")
    reporter = Reporter(["tests/browser/test_kits.py::test_a[chromium]"])
    browser.pytest_terminal_summary(reporter)
    assert reporter.lines == []
