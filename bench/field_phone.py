"""A phone for the field app (``/field/``): Debian's Chromium at 390×844 with geolocation
granted, service workers allowed, every request that would leave this machine blocked, and
an offline switch that cuts the page *and* its service worker (``context.set_offline`` alone
leaves the worker online; its requests are aborted here while offline, which Playwright
routes when ``PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS`` is set before it starts).

Also the service as a real ``uvicorn`` process on a fixed port (the app's origin, and so its
IndexedDB and caches, must stay the same when the service is killed and restarted).

The field-app tests (``tests/browser/test_field_*.py``) and ``bench/bench_field_outbox.py``
share both.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Route

from bench.offline_browser import is_local_url

__all__ = ["Phone", "ServiceProcess", "free_port", "service_process"]

os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
ROOT = Path(__file__).resolve().parents[1]
#: every URL but loopback ones (a lookahead the driver evaluates itself)
_OUTSIDE = re.compile(r"^(?!(?:https?|wss?)://(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?:[:/]|$))")
READY = "() => window.mzfield !== undefined && window.mzfield.ready === true"

#: queue records through the app's own outbox (the path of the forms after validation);
#: photos arrive as base64 JPEG and go through the app's resize-and-hash step
_QUEUE_JS = """async ([items, owner]) => {
  const outbox = await import('/field/app/outbox.js');
  const { preparePhoto } = await import('/field/app/photos.js');
  const cfg = window.mzfield.state.config;
  const hashes = [];
  for (const item of items) {
    const photos = [];
    for (const b64 of item.photos) {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const file = new File([bytes], 'photo.jpg', { type: 'image/jpeg' });
      const options = { maxPx: cfg.photo_max_px, quality: cfg.photo_quality };
      photos.push(await preparePhoto(file, options));
    }
    item.body.photos = photos.map((p) => ({ sha256: p.sha256, name: p.name }));
    await outbox.save({ kind: item.kind, op: 'create', body: item.body, photos, owner });
    hashes.push(photos.map((p) => p.sha256));
  }
  return hashes;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Phone:
    """One phone: a fresh browser context (its own IndexedDB, caches, service worker)."""

    context: BrowserContext
    base_url: str
    offline: bool = False
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, base_url: str, *, lon: float, lat: float) -> Phone:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            geolocation={"longitude": lon, "latitude": lat, "accuracy": 3},
            permissions=["geolocation"],
            service_workers="allow",
        )
        phone = cls(context, base_url)
        context.route(_OUTSIDE, phone._block)
        return phone

    def _block(self, route: Route) -> None:
        """Anything that would leave the machine (matched in the driver, so local requests
        never wait for Python)."""
        if is_local_url(route.request.url):  # the pattern's guard, checked once more
            route.fallback()
            return
        self.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    @staticmethod
    def _cut_worker(route: Route) -> None:
        """While offline: the service worker's own requests fail like the page's."""
        if route.request.service_worker is not None:
            route.abort("internetdisconnected")
        else:
            route.fallback()

    def page(self, path: str = "/field/") -> Page:
        """A new tab on ``path``, once the app has started."""
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.goto(self.base_url + path)
        return page

    @staticmethod
    def wait_ready(page: Page, timeout_ms: float = 30_000) -> None:
        page.wait_for_function(READY, timeout=timeout_ms)

    def go_offline(self) -> None:
        self.offline = True
        self.context.set_offline(True)
        self.context.route("**/*", self._cut_worker)

    def go_online(self) -> None:
        self.offline = False
        self.context.unroute("**/*", self._cut_worker)
        self.context.set_offline(False)

    def move_to(self, lon: float, lat: float, accuracy_m: float = 3.0) -> None:
        self.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": accuracy_m})

    @staticmethod
    def sign_in(page: Page, username: str, password: str) -> None:
        page.wait_for_selector("#signin-dialog[open]")
        page.fill("#signin-form input[name=username]", username)
        page.fill("#signin-form input[name=password]", password)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#signin-dialog:not([open])", state="attached")

    @staticmethod
    def download(page: Page, campaign_id: str, timeout_ms: float = 60_000) -> str:
        """Download a campaign for offline use; the progress label's final text."""
        row = f"li[data-campaign='{campaign_id}']"
        page.wait_for_selector(row)
        page.locator(f"{row} button:not(.primary)").click()
        page.wait_for_selector(f"{row} button.primary", timeout=timeout_ms)
        return page.locator(f"{row} .muted").last.inner_text()

    @staticmethod
    def counts(page: Page) -> dict[str, int]:
        counts: dict[str, int] = page.evaluate("() => window.mzfield.outbox.counts()")
        return counts

    @staticmethod
    def queue(page: Page, items: list[dict[str, Any]], owner: str) -> list[list[str]]:
        """Queue ``items`` (``{"kind", "body", "photos": [jpeg bytes]}``) through the app's
        outbox; the SHA-256 the app computed for each photo."""
        sent = [
            {**i, "photos": [base64.b64encode(p).decode() for p in i.get("photos", [])]}
            for i in items
        ]
        hashes: list[list[str]] = page.evaluate(_QUEUE_JS, [sent, owner])
        return hashes

    def wait_drained(self, page: Page, timeout_s: float) -> dict[str, int]:
        """Wait until nothing waits in the outbox; its final counts."""
        deadline = time.monotonic() + timeout_s
        while True:
            counts = self.counts(page)
            if counts["waiting"] == 0 or time.monotonic() > deadline:
                return counts
            page.wait_for_timeout(200)

    def close(self) -> None:
        self.context.close()


@dataclass
class ServiceProcess:
    """``uvicorn --factory api.app:create_app`` on a fixed loopback port."""

    location: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(
        self, timeout_s: float = 60.0, *, pause: Callable[[float], None] = time.sleep
    ) -> None:
        """Start and wait until it answers; ``pause(seconds)`` waits between tries (pass
        ``lambda s: page.wait_for_timeout(s * 1000)`` while a page routes requests:
        Playwright's route handlers run only while its calls run)."""
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "MZGIS_STORE": self.location, "PYTHONPATH": path}
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                msg = f"the service did not start on port {self.port}"
                raise RuntimeError(msg)
            pause(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, like a power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=30)


@contextmanager
def service_process(location: str, port: int | None = None) -> Iterator[ServiceProcess]:
    """The service on ``location``, started; killed on exit."""
    service = ServiceProcess(location, port or free_port())
    service.start()
    try:
        yield service
    finally:
        service.kill()
