"""Debian's Chromium, offline: how the map benchmark (``bench/bench_maps.py``) and the
browser tests (``tests/browser/``) launch it, the request filter that lets a page load
only from this machine, so a page that reaches for the internet is caught, not served, and
:func:`serving`, the app on a free loopback port that the browser opens.

It lives here because a benchmark runs as a script and cannot import ``tests/``; the tests
import it as ``bench.offline_browser``.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Route

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "is_local_url", "offline_route", "serving"]

#: Debian's Chromium (never a browser Playwright downloads)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def is_local_url(url: str) -> bool:
    """Whether loading ``url`` stays on this machine (loopback, data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in _LOCAL_SCHEMES:
        return True
    host = (parts.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def offline_route(blocked: list[str]) -> Callable[[Route], None]:
    """A Playwright route handler (``page.route("**/*", offline_route(blocked))``) that lets
    local requests through and aborts every other one, appending its URL to ``blocked``."""

    def route(r: Route) -> None:
        url = r.request.url
        if is_local_url(url):
            r.continue_()
        else:
            blocked.append(url)
            r.abort("blockedbyclient")

    return route


@contextmanager
def serving(app: FastAPI, *, start_timeout_s: float = 60) -> Iterator[str]:
    """Serve ``app`` (lifespan on) and yield its base URL ``http://127.0.0.1:PORT``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            msg = "the test server did not start"
            raise RuntimeError(msg)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
