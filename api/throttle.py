"""Slowing down password guessing: after :data:`MAX_FAILURES` failed sign-ins for one
username within :data:`WINDOW_S` seconds, further attempts for it are refused (HTTP 429
with ``Retry-After``) until the oldest failure leaves the window; a success clears the
count. Used by ``POST /auth/token`` and the sign-in page.

Counted per username, not per client address: a whole office often reaches the service
from one address, and one person's typos must not lock the others out. The counts live in
the app's memory (one process); behind several processes each keeps its own.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import HTTPException, Request

__all__ = ["MAX_FAILURES", "WINDOW_S", "SignInThrottle", "TooManyAttemptsError", "throttle_of"]

MAX_FAILURES = 10
WINDOW_S = 300.0


class TooManyAttemptsError(HTTPException):
    """Too many failed sign-ins: wait ``retry_after_s`` (HTTP 429)."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        detail = (
            f"too many failed sign-ins; try again in {retry_after_s} s"
            f" / 登录失败次数过多，请 {retry_after_s} 秒后再试"
        )
        super().__init__(429, detail, headers={"Retry-After": str(retry_after_s)})


class SignInThrottle:
    """Failed sign-ins per username in a sliding window."""

    def __init__(self, *, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S) -> None:
        self.max_failures, self.window_s = max_failures, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, username: str, now: float) -> deque[float]:
        times = self._failures.setdefault(username.casefold(), deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def check(self, username: str) -> None:
        """Raise :class:`TooManyAttemptsError` when ``username`` has used up its attempts."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(username, now)
            wait = self.window_s - (now - times[0]) if len(times) >= self.max_failures else 0
        if wait > 0:
            raise TooManyAttemptsError(max(1, int(wait + 0.999)))

    def failed(self, username: str) -> None:
        """Count a failed attempt."""
        now = time.monotonic()
        with self._lock:
            self._recent(username, now).append(now)

    def succeeded(self, username: str) -> None:
        """Forget the username's failures."""
        with self._lock:
            self._failures.pop(username.casefold(), None)


def throttle_of(request: Request) -> SignInThrottle:
    """The app's throttle (created on first use)."""
    found: SignInThrottle | None = getattr(request.app.state, "signin_throttle", None)
    if found is None:
        found = request.app.state.signin_throttle = SignInThrottle()
    return found
