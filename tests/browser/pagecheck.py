"""Helpers for the web pages in Chromium, offline, at a desktop and a phone size: open a
person's browser (its own cookies), sign in through the form, load a page and check it (no
request leaves the machine, no console error — a CSP violation is one —, no two controls
overlapping), with a screenshot under ``test-output/screenshots/``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, Request

from tests.browser.mapcheck import MapTab, output_dir

__all__ = [
    "PASSWORD",
    "VIEWPORTS",
    "PageReport",
    "check_page",
    "overlapping_controls",
    "person",
    "sign_in",
]

#: the two screen sizes every page must work at
VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}
PASSWORD = "correct horse battery"

_OVERLAPS_JS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, [role=button]';
  // the part of an element that shows: its box cut by every scrolling or clipping ancestor
  const shown = el => {
    let r = el.getBoundingClientRect();
    let box = {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p);
      if (o.overflowX === 'visible' && o.overflowY === 'visible') continue;
      const c = p.getBoundingClientRect();
      box = {left: Math.max(box.left, c.left), top: Math.max(box.top, c.top),
             right: Math.min(box.right, c.right), bottom: Math.min(box.bottom, c.bottom)};
    }
    return box;
  };
  const visible = el => {
    const s = getComputedStyle(el);
    const b = shown(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && b.right - b.left > 1
      && b.bottom - b.top > 1 && !el.closest('.leaflet-container, .api-docs, [aria-hidden=true]');
  };
  const els = [...document.querySelectorAll(sel)].filter(visible);
  const name = el => (el.id ? '#' + el.id : el.tagName.toLowerCase()) + ' "' +
    (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30) + '"';
  const found = [];
  for (let i = 0; i < els.length; i++) {
    const a = shown(els[i]);
    for (let j = i + 1; j < els.length; j++) {
      if (els[i].contains(els[j]) || els[j].contains(els[i])) continue;
      const b = shown(els[j]);
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) found.push(name(els[i]) + ' overlaps ' + name(els[j]));
    }
  }
  const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
  if (wide) found.push('the page is wider than the screen: ' +
    document.documentElement.scrollWidth + ' > ' + window.innerWidth);
  return found;
}"""


class PageTab(MapTab):
    """A :class:`MapTab` for pages people click through: a request the browser aborts
    because the person moved on to the next page (``net::ERR_ABORTED``) is not a failure."""

    def _on_failed(self, request: Request) -> None:
        if request.failure != "net::ERR_ABORTED":
            super()._on_failed(request)


@dataclass(frozen=True)
class PageReport:
    """A checked page: its load time (navigation to ``load``) and screenshot."""

    url: str
    viewport: str
    load_ms: float
    screenshot: Path


@contextmanager
def person(browser: Browser, *, viewport: str = "desktop") -> Iterator[MapTab]:
    """A tab in a context of its own (a person's browser: own cookies), at ``viewport``,
    Chinese locale, every request leaving the machine blocked and logged."""
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", service_workers="block"
    )
    try:
        tab = PageTab.open(context)
        yield tab
    finally:
        context.close()


def sign_in(page: Page, base: str, username: str, *, next_path: str = "/") -> None:
    """Sign in through the sign-in form and wait for the page it returns to."""
    page.goto(f"{base}/signin?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator(".whoami").count() == 1, page.content()[:2000]


def overlapping_controls(page: Page) -> list[str]:
    """Pairs of visible controls (links, buttons, fields) that overlap, and a page wider
    than the screen; maps and the documentation widgets are left out."""
    found: list[str] = page.evaluate(_OVERLAPS_JS)
    return found


def check_page(
    tab: MapTab,
    url: str,
    *,
    name: str,
    viewport: str,
    status: int = 200,
    ready_js: str | None = None,
) -> PageReport:
    """Load ``url`` (and wait for ``ready_js`` to be true, for pages that build themselves)
    and check it, its HTTP ``status`` too (a page saying why is a 403); the screenshot is
    ``web-{name}-{viewport}.png``; ``load_ms`` runs to ``load``, or to ready."""
    started = time.perf_counter()
    response = tab.page.goto(url, wait_until="load")
    if ready_js:
        tab.page.wait_for_function(ready_js, timeout=30_000)
    load_ms = (time.perf_counter() - started) * 1000
    assert response is not None, url
    assert response.status == status, f"{url}: HTTP {response.status}"
    if status >= 400:  # the browser logs the page's own status as an error
        expected = f"the server responded with a status of {status}"
        tab.console_errors[:] = [e for e in tab.console_errors if expected not in e]
    path = output_dir() / f"web-{name}-{viewport}.png"
    tab.page.screenshot(path=str(path), full_page=True)
    overlaps = overlapping_controls(tab.page)
    assert overlaps == [], f"{url}: {overlaps}"
    tab.assert_clean()
    return PageReport(url, viewport, load_ms, path)
