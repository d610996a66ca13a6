"""Helpers to check a map page in headless Chromium, offline: every page test of any map
(layers, coverage, siting, zones, inspection) uses :func:`check_map_page`.

A :class:`MapTab` is a browser tab whose requests to anything but this machine are blocked
and logged (:mod:`bench.offline_browser`, shared with the map benchmark), and whose console
errors and page errors are collected.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request

from bench.offline_browser import CHROMIUM, CHROMIUM_ARGS, is_local_url, offline_route

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "MapReport",
    "MapTab",
    "check_map_page",
    "click_feature",
    "is_local_url",
    "output_dir",
    "toggle_layer",
]

READY_JS = "() => window.mzgis !== undefined && window.mzgis.ready === true"


def output_dir() -> Path:
    """The test run's output folder (``MZGIS_TEST_OUTPUT`` or ``test-output/`` at the repo
    root, gitignored); screenshots go to its ``screenshots/``."""
    root = (
        os.environ.get("MZGIS_TEST_OUTPUT") or Path(__file__).resolve().parents[2] / "test-output"
    )
    path = Path(root) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class MapTab:
    """A tab with non-local requests blocked and logged and console errors collected."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, context: BrowserContext) -> MapTab:
        tab = cls(context.new_page())
        tab.page.route("**/*", offline_route(tab.blocked))
        tab.page.on("console", tab._on_console)
        tab.page.on("pageerror", lambda e: tab.console_errors.append(f"page error: {e}"))
        tab.page.on("requestfailed", tab._on_failed)
        return tab

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_failed(self, request: Request) -> None:
        if is_local_url(request.url):
            self.failed.append(f"{request.url} ({request.failure})")

    def assert_clean(self) -> None:
        """Fail on any request that tried to leave the machine, any console error, any
        local request that failed."""
        assert not self.blocked, f"requests that would leave the machine: {self.blocked}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.failed, f"failed requests: {self.failed}"

    def close(self) -> None:
        self.page.close()


@dataclass(frozen=True)
class MapReport:
    """What a loaded map page shows: features per layer now, in total, time to ready."""

    counts: dict[str, int]
    totals: dict[str, int]
    ready_ms: float
    screenshot: Path


def check_map_page(
    tab: MapTab,
    url: str,
    *,
    expected_features: dict[str, int] | None = None,
    screenshot: str | None = None,
    timeout_ms: float = 20_000,
) -> MapReport:
    """Load a map page, wait until the page script says every layer is drawn, check the
    feature counts of the layers shown (``expected_features``: layer name -> count), write a
    screenshot, and fail on any non-local request or console error.

    Parameters
    ----------
    tab
        From the ``map_tab`` fixture.
    url
        The page's full URL (``f"{map_server}/maps/layers"``).
    expected_features
        Layers (page-script names, as passed to ``MapBuilder.add_layer(name=...)``) and the
        number of features each must show at start (0 for a layer switched off).
    screenshot
        File name under the screenshots folder (default: from the URL path).
    """
    response = tab.page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    tab.page.wait_for_function(READY_JS, timeout=timeout_ms)
    counts: dict[str, int] = tab.page.evaluate("() => mzgis.counts()")
    totals: dict[str, int] = tab.page.evaluate("() => mzgis.totals()")
    ready_ms: float = tab.page.evaluate("() => mzgis.readyMs")
    for name, expected in (expected_features or {}).items():
        assert counts.get(name) == expected, f"layer {name}: {counts.get(name)} != {expected}"
    name = screenshot or re.sub(r"[^A-Za-z0-9_.-]+", "_", urlsplit(url).path.strip("/")) + ".png"
    path = output_dir() / name
    tab.page.screenshot(path=str(path))
    tab.assert_clean()
    return MapReport(counts, totals, ready_ms, path)


def toggle_layer(tab: MapTab, label: str) -> None:
    """Click the layer-control checkbox whose label starts with ``label``."""
    start = re.compile(r"^\s*" + re.escape(label))
    control = tab.page.locator(".leaflet-control-layers-overlays label").filter(has_text=start)
    assert control.count() == 1, f"{control.count()} layer-control entries start with {label!r}"
    control.locator("input").click()


def click_feature(tab: MapTab, layer: str, index: int = 0) -> str:
    """Click feature ``index`` of ``layer`` where it is drawn (a point's centre, a line's or
    polygon's centre) and return the text of the popup that opens."""
    where: dict[str, Any] = tab.page.evaluate(
        """([name, i]) => {
            const f = mzgis.featureAt(name, i);
            const map = f._map;
            const ll = f.getLatLng ? f.getLatLng() : f.getCenter();
            map.panTo(ll, {animate: false});
            const p = map.latLngToContainerPoint(ll);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [layer, index],
    )
    tab.page.mouse.click(where["x"], where["y"])
    popup = tab.page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5_000)
    return popup.inner_text()
