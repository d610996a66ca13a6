"""Load test of ``POST /inspections`` against the running service (loopback only, bounded).

Starts ``uvicorn`` on a copy of a store (the demo by default) on 127.0.0.1, creates an
inspector and a campaign, then submits marker inspections at a fixed rate (open loop: each
request is due at ``start + i / rate``; latency counts from when it was due, so a stalled
server is not hidden). Prints the success rate and the latency percentiles against the
target (100 % success, p99 ≤ 100 ms at 200 submissions per second for 30 s); then kills
the service (SIGKILL) and checks that every acknowledged record is in the store and that
the audit chain verifies (exit status 1 otherwise). Its own heap is frozen before the timed
run, so that its garbage collection does not stall its senders.

    .venv/bin/python bench/load_inspections.py              # 50/s for 30 s
    .venv/bin/python bench/load_inspections.py --smoke      # 10/s for 2 s (run by the tests)
    .venv/bin/python bench/load_inspections.py --rate 200 --workers 2   # two server processes
    .venv/bin/python bench/load_inspections.py --target 'postgresql://…?schema=load'
                                                  # the same on PostGIS (an empty schema)

A throwaway PostgreSQL that flushes every commit to disk (fsync on), left running; it
prints the URL for ``--target`` and how to stop it::

    PYTHONPATH=. .venv/bin/python -m tests.pg
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np

MAX_RATE, MAX_DURATION_S = 200.0, 120.0  # bounded: never a stress test by accident
TARGET_P99_MS = 100.0
WORKERS = 32  # sending threads: enough that a slow answer never delays the next send
CAMPAIGN, LINE = "bench-0001", "0001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(store: str) -> tuple[str, list[dict[str, Any]]]:
    """An inspector's token, and one valid body template per marker of the line."""
    from api.auth import issue_token
    from layers.records import Campaign, RecordNotFoundError, User, open_record_store
    from layers.store import open_store

    layers = open_store(store)
    records = open_record_store(layers)
    try:
        records.get_user("bench")
    except RecordNotFoundError:
        records.add_user(User("bench", "inspector", "压测", "!"), actor="bench")
    try:
        records.get_campaign(CAMPAIGN)
    except RecordNotFoundError:
        line = layers.read("boundary_lines").set_index("line_code").loc[LINE]
        sides = {k: str(line[k]) for k in ("left_code", "left_name", "right_code", "right_name")}
        records.add_campaign(Campaign(CAMPAIGN, LINE, 1, 2025, "bench", **sides), actor="bench")  # type: ignore[arg-type]
        records.add_member(CAMPAIGN, "bench", side="left", actor="bench")
    token, _ = issue_token(records, "bench", actor="bench", days=1)
    markers = layers.read("markers")
    markers = markers[markers["line_code"] == LINE]
    lat_step = 0.3 / 111_000  # 0.3 m north of the register
    people = [{"name": "甲", "side": "left"}, {"name": "乙", "side": "right"}]
    templates = [
        {
            "campaign_id": CAMPAIGN,
            "marker_no": m.marker_no,
            "inspected_at": "2025-04-08T09:30:00+08:00",
            "condition": "完好",
            "actions": ["拍照记录"],
            "position": {
                "lon": m.geometry.x,
                "lat": m.geometry.y + lat_step,
                "accuracy_m": 0.05,
                "fix_type": "RTK",
            },
            "inspectors": people,
        }
        for m in markers.itertuples()
    ]
    return token, templates


def _serve(store: str, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--workers", str(workers),
    ]  # fmt: skip
    env = {**os.environ, "MZGIS_STORE": store}
    process = subprocess.Popen(  # its own group: the workers go with it (see _stop)
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("the service did not start / 服务未能启动")


def _target(source: Path | None, target: str | None, tmp: Path) -> str:
    """Where the service runs: a copy of ``source`` (default the demo) in a temporary
    GeoPackage, or in the PostGIS store ``target`` (layers and records, which must be empty)."""
    if source is None:
        from layers.demo import ensure_demo

        source = ensure_demo()
    if target is None:
        copy = tmp / "load.gpkg"
        shutil.copyfile(source, copy)
        return str(copy)
    from layers.records.copy import copy_store_and_records
    from layers.store import open_store

    src, dst = open_store(source), open_store(target)
    try:
        copy_store_and_records(src, dst)
    finally:
        src.close()
        dst.close()
    return target


def run_load(
    client: httpx.Client,
    templates: list[dict[str, Any]],
    *,
    rate: float,
    duration_s: float,
    record_ids: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Submit ``rate × duration_s`` records on schedule; ``(latency_ms, ok)`` per request.

    ``client`` is shared by the sending threads (httpx clients are thread-safe), so no
    client is built while the clock runs. ``record_ids`` (one per request, new UUIDs when
    ``None``) are the client UUIDs sent."""
    total = int(rate * duration_s)
    ids = record_ids if record_ids is not None else [str(uuid.uuid4()) for _ in range(total)]
    latency, ok = np.full(total, np.nan), np.zeros(total, dtype=bool)
    start = time.perf_counter() + 0.2

    def one(i: int) -> None:
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        body = {**templates[i % len(templates)], "record_id": ids[i]}
        try:
            ok[i] = client.post("/inspections", json=body).status_code == 201
        except httpx.HTTPError:
            ok[i] = False
        latency[i] = (time.perf_counter() - due) * 1000

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(one, range(total)))
    return latency, ok


def verify(store: str, acknowledged: list[str]) -> tuple[int, bool, int]:
    """After the service is killed: how many ``acknowledged`` records the store holds,
    whether its audit chain verifies, and its number of entries."""
    from layers.records import RecordFilter, open_record_store

    records = open_record_store(store)
    try:
        stored, _ = records.list_records("marker", RecordFilter(campaign_id=CAMPAIGN))
        held = {r.record_id for r in stored}
        check = records.verify_audit()
        return sum(1 for i in acknowledged if i in held), check.ok, len(records.audit_log())
    finally:
        records.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="submissions per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds")
    parser.add_argument("--store", type=Path, help="GeoPackage with markers and lines (copied)")
    parser.add_argument("--smoke", action="store_true", help="10/s for 2 s")
    parser.add_argument(
        "--workers", type=int, default=1, choices=range(1, 9), help="uvicorn worker processes"
    )
    parser.add_argument(
        "--target", help="an empty postgresql:// store to copy into (default: a .gpkg copy)"
    )
    args = parser.parse_args(argv)
    rate, duration = (10.0, 2.0) if args.smoke else (args.rate, args.duration)
    if not (0 < rate <= MAX_RATE and 0 < duration <= MAX_DURATION_S):
        parser.error(f"rate ≤ {MAX_RATE}/s and duration ≤ {MAX_DURATION_S} s")
    with tempfile.TemporaryDirectory(prefix="mzgis-load-") as tmp:
        store = _target(args.store, args.target, Path(tmp))
        token, templates = _prepare(store)
        process, url = _serve(store, args.workers)
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
        try:
            with httpx.Client(base_url=url, headers=headers, timeout=30, limits=limits) as client:
                run_load(client, templates, rate=20.0, duration_s=1.0)  # warm up, not counted
                gc.collect()  # this client's own full collections (its heap holds the store's
                gc.freeze()  # layers) would stall its senders: not the service's latency
                ids = [str(uuid.uuid4()) for _ in range(int(rate * duration))]
                latency, ok = run_load(
                    client, templates, rate=rate, duration_s=duration, record_ids=ids
                )
        finally:
            os.killpg(process.pid, signal.SIGKILL)  # no clean shutdown: what was acknowledged
            process.wait()  # must be in the store
        acknowledged = [i for i, done in zip(ids, ok, strict=True) if done]
        durable, chained, entries = verify(store, acknowledged)
    p50, p95, p99 = np.nanpercentile(latency, [50, 95, 99])
    print(
        f"load: {len(ok)} submissions at {rate:g}/s for {duration:g} s on {os.cpu_count()} cores,"
        f" {args.workers} server process(es)"
    )
    print(f"success: {100 * ok.mean():.2f} % ({int(ok.sum())}/{len(ok)})")
    most = np.nanmax(latency)
    print(f"latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {most:.1f} ms")
    print(f"p99 / target ({TARGET_P99_MS:g} ms): {p99 / TARGET_P99_MS:.2f}")
    print(
        f"durable after SIGKILL: {durable}/{len(acknowledged)} acknowledged records stored;"
        f" audit chain {'intact' if chained else 'BROKEN'} ({entries} entries)"
    )
    return 0 if ok.all() and durable == len(acknowledged) and chained else 1


if __name__ == "__main__":
    sys.exit(main())
