"""Signing in: throttled per user and per client address, audited, with argon2 off the
request workers.

- Throttle: failed sign-ins are counted per user name and per client address over a sliding
  window (``Settings.signin_window_s``); at ``signin_max_failures`` for a name (or
  ``signin_max_address_failures`` for an address) further attempts get 429 with
  ``Retry-After`` (the seconds until the oldest counted failure leaves the window), even with
  the right password, and cost no argon2. A success clears the name's count. The counts live
  in the service process (several processes each keep their own).
- argon2 runs in a pool of its own (:data:`HASH_WORKERS` threads; argon2-cffi lets go of the
  GIL) so that a flood of sign-ins keeps at most that many cores busy and never takes the
  threads every other request runs on; past :data:`MAX_WAITING` waiting sign-ins, the next
  gets 429 at once.
- Audit: each answered attempt appends ``auth.sign_in`` or ``auth.sign_in_failed`` (name,
  client address, reason) to the audit log; throttled attempts are not written (the throttle
  bounds what a flood can add to the log).
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from api.auth import UnauthenticatedError, hash_password, issue_token, verify_password
from api.deps import get_settings
from api.users.passwords import MAX_PASSWORD_CHARS
from layers.records import RecordNotFoundError, RecordStore, User

__all__ = ["HASH_WORKERS", "SignInThrottle", "hash_off_loop", "sign_in", "throttle_of"]

HASH_WORKERS = 1
MAX_WAITING = 16
_MAX_KEYS = 100_000
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_HASHING = ThreadPoolExecutor(max_workers=HASH_WORKERS, thread_name_prefix="mzgis-argon2")
_waiting = 0
_waiting_lock = threading.Lock()


@dataclass
class SignInThrottle:
    """Failed sign-ins per key (``user:NAME``, ``addr:HOST``) in a sliding window."""

    max_user_failures: int = 5
    max_address_failures: int = 20
    window_s: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, username: str, address: str) -> int | None:
        """Seconds to wait before ``username`` may try again from ``address``; ``None``."""
        now = self.clock()
        waits = []
        with self._lock:
            for key, limit in self._limits(username, address):
                times = self._recent(key, now)
                if times is not None and len(times) >= limit:
                    waits.append(times[-limit] + self.window_s - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key, _ in self._limits(username, address):
                self._failures.setdefault(key, deque(maxlen=1000)).append(now)
            if len(self._failures) > _MAX_KEYS:
                self._forget(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)

    def _limits(self, username: str, address: str) -> tuple[tuple[str, int], ...]:
        return (
            (f"user:{username}", self.max_user_failures),
            (f"addr:{address}", self.max_address_failures),
        )

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def _forget(self, now: float) -> None:
        """Drop keys with no failure left in the window, then the oldest keys."""
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= now - self.window_s]:
            del self._failures[key]
        while len(self._failures) > _MAX_KEYS:
            del self._failures[next(iter(self._failures))]


def throttle_of(request: Request) -> SignInThrottle:
    """The app's throttle, made from its settings on first use."""
    throttle: SignInThrottle | None = getattr(request.app.state, "signin_throttle", None)
    if throttle is None:
        settings = get_settings(request)
        throttle = request.app.state.signin_throttle = SignInThrottle(
            max_user_failures=settings.signin_max_failures,
            max_address_failures=settings.signin_max_address_failures,
            window_s=settings.signin_window_s,
        )
    return throttle


def _too_many(seconds: int, en: str, zh: str) -> HTTPException:
    return HTTPException(429, f"{en} / {zh}", headers={"Retry-After": str(seconds)})


async def _in_hash_pool(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` in the argon2 pool; 429 when too many are already waiting."""
    global _waiting  # noqa: PLW0603 - one counter for the process, under its lock
    with _waiting_lock:
        if _waiting >= MAX_WAITING:
            raise _too_many(
                1, "too many sign-ins at once, retry shortly", "登录请求过多，请稍后重试"
            )
        _waiting += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_HASHING, fn, *args)
    finally:
        with _waiting_lock:
            _waiting -= 1


async def hash_off_loop(password: str) -> str:
    """:func:`api.auth.hash_password` in the argon2 pool."""
    hashed: str = await _in_hash_pool(hash_password, password)
    return hashed


async def sign_in(
    request: Request, records: RecordStore, username: str, password: str
) -> tuple[str, str]:
    """Check a sign-in and issue a token: ``(token, expires_at)``.

    Raises
    ------
    HTTPException
        429 with ``Retry-After`` while the name or the address is throttled (or the argon2
        pool is full); 401 for a wrong name or password or a disabled user.
    """
    address = request.client.host if request.client else "unknown"
    name = username if _NAME.match(username) else "?"
    throttle = throttle_of(request)
    wait = throttle.retry_after(name, address)
    if wait is not None:
        raise _too_many(
            wait,
            f"too many failed sign-ins; try again in {wait} s",
            f"登录失败次数过多，请 {wait} 秒后再试",
        )
    user = await run_in_threadpool(_user, records, name)
    known = user.password_hash if user is not None and user.active else None
    if len(password) > MAX_PASSWORD_CHARS:  # no password is that long: not worth a hash
        password, known = "", None
    if not await _in_hash_pool(verify_password, known, password) or user is None:
        throttle.failed(name, address)
        reason = "unknown user" if user is None else ("disabled" if not user.active else "password")
        await run_in_threadpool(_audit, records, "auth.sign_in_failed", name, address, reason)
        raise UnauthenticatedError("wrong username or password")
    throttle.succeeded(name)
    await run_in_threadpool(_audit, records, "auth.sign_in", name, address, "ok")
    issued: tuple[str, str] = await run_in_threadpool(
        lambda: issue_token(records, user.username, actor=user.username, label="sign-in")
    )
    return issued


def _user(records: RecordStore, name: str) -> User | None:
    if name == "?":
        return None
    try:
        return records.get_user(name)
    except RecordNotFoundError:
        return None


def _audit(records: RecordStore, action: str, name: str, address: str, reason: str) -> None:
    actor = name if action == "auth.sign_in" else "anonymous"
    records.audit(action, f"user:{name}", {"client": address, "reason": reason}, actor=actor)
