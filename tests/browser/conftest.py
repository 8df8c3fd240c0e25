"""Chromium from Debian, driven by Playwright; never a downloaded browser.

Every page the browser tests visit is checked with axe-core (WCAG 2.1 A and AA rules), which
``make install-test`` installs with ``npm ci`` from package-lock.json into node_modules/.

How no page escapes the check, with nothing to call in the tests:

* The ``page`` fixture hands the tests a thin proxy of the Playwright page. Listeners record
  that the main frame navigated ("framenavigated") and which URLs loaded ("load"); they only
  record, since a listener is not waited for and a page call from it would race the test.
* Before any method of the page runs (``goto``, ``get_by_label``, ``wait_for_url``, ``evaluate``,
  ``screenshot``...), the proxy checks the document if the main frame navigated since the last
  check: it waits for the document's "load" event, then runs axe, at the page's own width and
  at each of AXE_WIDTHS (360 and 1280 px: the page resized, then given back its size). A click that submits a form or
  follows a link returns once the new document is committed, so the test's next call to the
  page checks it before acting on it; a reload from JavaScript is caught the same way.
* After the test body passes, ``pytest_runtest_call`` below checks the page as the test left it.
* A guard: a URL that loaded but was never checked (left through a locator kept from an earlier
  page, say, with no call to the page in between) fails the test, so no page escapes silently.

(Holding each navigation request in a route handler while axe checks the page being left would
need no proxy, but Playwright does not evaluate in a frame whose navigation is pending: the two
wait for each other until the timeout.)

The violations of every page are collected and fail the test after its body, each with the rule,
its impact, its help text, the first targets and the page's URL. ``assert_accessible(page)``
checks the current state at once, for a state that neither a navigation nor the end of the test
reaches (a dialog opened then closed, say).

axe is injected with ``page.evaluate(source)``: evaluation through the DevTools protocol is not
subject to the application's Content-Security-Policy (script-src 'self', no inline scripts),
whereas ``add_script_tag(content=...)`` adds an inline script that the policy blocks. The
context therefore keeps the real policy (no ``bypass_csp``), and the tests see what a visitor
gets. Only HTML documents are checked (a JSON response shown by the browser is no page).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Every page is checked at a phone's width and at a wide screen's (issue #16).
AXE_WIDTHS = (360, 1280)
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
# The document's URL and a summary of each violation (none for a document that is not HTML).
RUN_AXE = """async options => {
  if (document.contentType !== "text/html") { return {url: location.href, violations: []}; }
  const results = await axe.run(document, options);
  return {
    url: location.href,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, count: v.nodes.length,
      targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    })),
  };
}"""
AXE_WATCH = pytest.StashKey["_AxeWatch"]()


def _axe_source() -> str:
    if not AXE_SOURCE.exists():
        message = f"{AXE_SOURCE} is missing: `make install-test` installs axe-core with npm ci"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SOURCE.read_text(encoding="utf-8")


def _run_axe(page, source: str) -> dict:
    if page.evaluate("() => typeof window.axe === 'undefined'"):
        page.evaluate(source)
    return page.evaluate(RUN_AXE, AXE_OPTIONS)


def _format(result: dict) -> str:
    lines = [f"{result['url']}:"]
    for v in result["violations"]:
        lines.append(f"  - {v['id']} ({v['impact']}): {v['help']} [{v['count']} element(s)] {v['helpUrl']}")
        lines.extend(f"      {target}" for target in v["targets"])
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Runs axe-core on the page as it is now; fails at once with the violations found."""
    page = getattr(page, "_page", page)
    page.wait_for_load_state("load")
    result = _run_axe(page, _axe_source())
    if result["violations"]:
        pytest.fail("axe-core found WCAG 2.1 A/AA violations on " + _format(result), pytrace=False)


class _AxeWatch:
    def __init__(self, page, source: str) -> None:
        self.page, self.source = page, source
        self.navigated = False
        self.loaded: list[str] = []
        self.checked: set[str] = set()
        self.reports: list[str] = []
        page.on("framenavigated", self._on_navigated)
        page.on("load", self._on_load)

    # Listeners: they record, and never call the page.
    def _on_navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigated = True

    def _on_load(self, page) -> None:
        self.loaded.append(page.url)

    def catch_up(self) -> None:
        if self.navigated:
            self.check()

    def check(self) -> None:
        from playwright.sync_api import Error as PlaywrightError

        for _ in range(5):
            self.navigated = False
            self.page.wait_for_load_state("load")
            if not self.page.url.startswith(("http://", "https://")):
                return
            try:
                results = self._run_at_every_width()
            except PlaywrightError:
                if self.navigated:  # the document went away during the run (a reload from JavaScript)
                    continue
                raise
            for width, result in results:
                self.checked.add(result["url"])
                if result["violations"] and (report := f"[{width} px] " + _format(result)) not in self.reports:
                    self.reports.append(report)
            return
        raise AssertionError(f"axe could not check {self.page.url}: it kept navigating")

    def _run_at_every_width(self) -> list[tuple[int, dict]]:
        """axe at the page's own width, then at each of AXE_WIDTHS it is not at (the page
        resized, then given back its size): a phone's layout and a wide screen's both checked."""
        size = self.page.viewport_size or {"width": 1024, "height": 768}
        results = [(size["width"], _run_axe(self.page, self.source))]
        try:
            for width in AXE_WIDTHS:
                if width != size["width"]:
                    self.page.set_viewport_size({"width": width, "height": size["height"]})
                    results.append((width, _run_axe(self.page, self.source)))
        finally:
            self.page.set_viewport_size(size)
        return results

    def finish(self) -> None:
        """The final state, then the verdict on every page seen during the test."""
        self.check()
        problems = []
        missed = sorted({url for url in self.loaded if url.startswith("http") and url not in self.checked})
        if missed:
            problems.append(
                "pages loaded but never checked by axe-core (call a method of `page` or assert_accessible(page) "
                "after each navigation): " + ", ".join(missed)
            )
        if self.reports:
            problems.append("axe-core found WCAG 2.1 A/AA violations on\n" + "\n".join(self.reports))
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


class _CheckedPage:
    """The Playwright page, whose methods first let axe check a document navigated to since the
    last check. Attributes that are not methods (``url``, ``keyboard``...) are the page's own."""

    def __init__(self, page, watch: _AxeWatch) -> None:
        self._page, self._watch = page, watch

    def __getattr__(self, name: str):
        attribute = getattr(self._page, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def checked(*args, **kwargs):
            self._watch.catch_up()
            return attribute(*args, **kwargs)

        return checked

    def __repr__(self) -> str:
        return f"<checked {self._page!r}>"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    # A test that failed reports its own error; axe's verdict comes after a passing body, as a
    # failure of the test itself rather than an error in the fixture's teardown.
    result = yield
    watch = item.stash.get(AXE_WATCH, None)
    if watch is not None:
        watch.finish()
    return result


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    source = _axe_source()
    context = browser.new_context(locale="es-CL", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(20_000)
    watch = _AxeWatch(page, source)
    request.node.stash[AXE_WATCH] = watch
    try:
        yield _CheckedPage(page, watch)
    finally:
        del request.node.stash[AXE_WATCH]
        context.close()


@pytest.fixture()
def app_server(app):
    """The test application served on a free local port from a thread (both legs)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
