"""Sign-in flood: how much does a flood of password sign-ins slow everyone else down?

Starts ``uvicorn`` on a copy of a store (the demo by default, as ``load_inspections.py``
does) with the sign-in throttle set out of the way, then measures the latency of a signed-in
user's ``GET /users/me`` (one request every 20 ms) for a while alone and for as long again
while ``--threads`` clients sign in with a wrong password as fast as they can (each costs an
argon2 hash). argon2 runs in its own one-thread pool, so the flood should cost the others
about one core at most. Prints both medians and p99s and their ratio, and how many sign-ins
were answered (401, or 429 when the argon2 queue was full).

    .venv/bin/python bench/signin_flood.py             # 16 threads, 10 s each phase
    .venv/bin/python bench/signin_flood.py --smoke     # 2 threads, 1 s (run by the tests)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_inspections import _prepare, _serve, _target

INTERVAL_S = 0.02


def _probe(client: httpx.Client, duration_s: float) -> np.ndarray:
    """Latencies (ms) of ``GET /users/me`` every :data:`INTERVAL_S` for ``duration_s``."""
    out, end = [], time.perf_counter() + duration_s
    while time.perf_counter() < end:
        start = time.perf_counter()
        assert client.get("/users/me").status_code == 200
        out.append((time.perf_counter() - start) * 1000)
        time.sleep(max(0.0, INTERVAL_S - (time.perf_counter() - start)))
    return np.asarray(out)


def _flood(url: str, stop: threading.Event, answers: Counter[int], index: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            form = {"username": f"nobody{index}", "password": "wrong password, again"}
            answers[client.post("/auth/token", data=form).status_code] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--store", type=Path, help="GeoPackage with markers and lines (copied)")
    parser.add_argument("--smoke", action="store_true", help="2 threads, 1 s")
    args = parser.parse_args(argv)
    threads, duration = (2, 1.0) if args.smoke else (args.threads, args.duration)
    if not (0 < threads <= 64 and 0 < duration <= 60):
        parser.error("threads ≤ 64 and duration ≤ 60 s")
    os.environ["MZGIS_SIGNIN_MAX_FAILURES"] = os.environ["MZGIS_SIGNIN_MAX_ADDRESS_FAILURES"] = (
        "1000000000"
    )
    with tempfile.TemporaryDirectory(prefix="mzgis-flood-") as tmp:
        store = _target(args.store, None, Path(tmp))
        token, _ = _prepare(store)
        process, url = _serve(store)
        answers: Counter[int] = Counter()
        stop = threading.Event()
        flooders = [
            threading.Thread(target=_flood, args=(url, stop, answers, i)) for i in range(threads)
        ]
        try:
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ) as client:
                _probe(client, 0.5)  # warm up
                alone = _probe(client, duration)
                for flooder in flooders:
                    flooder.start()
                flooded = _probe(client, duration)
        finally:
            stop.set()
            for flooder in flooders:
                if flooder.is_alive():
                    flooder.join()
            process.kill()
            process.wait()
    a50, a99 = np.percentile(alone, [50, 99])
    f50, f99 = np.percentile(flooded, [50, 99])
    print(f"sign-in flood: {threads} threads for {duration:g} s on {os.cpu_count()} cores")
    print(f"alone:   GET /users/me p50 {a50:.1f} ms, p99 {a99:.1f} ms ({len(alone)} requests)")
    print(f"flooded: GET /users/me p50 {f50:.1f} ms, p99 {f99:.1f} ms ({len(flooded)} requests)")
    print(f"p50 flooded / alone: {f50 / a50:.2f}")
    print(f"sign-ins answered: {dict(sorted(answers.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
