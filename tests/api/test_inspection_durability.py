"""Against a real server on loopback, on a GeoPackage and on PostGIS: 100 parallel replays of
one submission leave exactly one record (uvicorn in a thread), and a server killed with
SIGKILL while clients submit loses no acknowledged record and leaves no partial one (uvicorn
in a subprocess)."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from layers.records import RecordFilter, open_record_store
from layers.store import is_postgis_url
from tests.api.test_inspection_kit import MARKERS_0001, Kit, build_kit, marker_body, read_rows

JPEG = b"\xff\xd8\xff\xe0" + b"durable" * 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(location: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``uvicorn --factory api.app:create_app`` on the store at ``location``; stopped
    (killed) on exit."""
    port = free_port()
    env = {**os.environ, "MZGIS_STORE": location}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"server did not start: {err}")
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()


@contextmanager
def thread_server(location: str) -> Iterator[str]:
    """The app on the store at ``location`` served by uvicorn in a thread of this process."""
    import uvicorn

    from tests.api.test_inspection_kit import make_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(make_app(location), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    """A new world for each test, on each backend in turn."""
    with build_kit(new_location("durable")) as kit:
        yield kit


@pytest.mark.slow
def test_one_hundred_parallel_replays_store_one_record(kit: Kit) -> None:
    body = marker_body()
    barrier = threading.Barrier(100)
    codes: list[int] = []
    limits = httpx.Limits(max_connections=100)
    with (
        thread_server(kit.location) as url,
        httpx.Client(
            base_url=url, headers=kit.auth("insp_left"), timeout=60, limits=limits
        ) as client,
    ):

        def replay() -> None:
            barrier.wait()
            codes.append(client.post("/inspections", json=body).status_code)

        threads = [threading.Thread(target=replay) for _ in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        changed = client.post("/inspections", json={**body, "notes": "changed"})
    assert sorted(codes) == [200] * 99 + [201]
    assert changed.status_code == 409
    stored = kit.snapshot()
    creates = [e for e in stored["audit"] if e.action == "record.create"]
    assert (len(stored["marker"]), len(creates)) == (1, 1)


def _submitter(
    url: str, kit: Kit, worker: int, acked: list[dict[str, Any]], stop: threading.Event
) -> None:
    """Submit records (each with a photo) until the server dies; note what was acknowledged."""
    sha = hashlib.sha256(JPEG + bytes([worker])).hexdigest()
    with httpx.Client(base_url=url, headers=kit.auth("insp_left"), timeout=10) as client:
        n = 0
        while not stop.is_set():
            n += 1
            body = marker_body(
                MARKERS_0001[n % 7], photos=[{"sha256": sha}], notes=f"w{worker} n{n}"
            )
            try:
                answer = client.post("/inspections", json=body)
                if answer.status_code == 201:
                    item: dict[str, Any] = {"body": body, "record": answer.json(), "photo": None}
                    acked.append(item)
                    photo = client.post(
                        f"/inspections/{body['record_id']}/photos",
                        files={"file": ("p.jpg", JPEG + bytes([worker]))},
                        data={"sha256": sha},
                    )
                    if photo.status_code == 201:
                        item["photo"] = sha
            except httpx.TransportError:
                return


def _check_no_partial_rows(location: str) -> None:
    """Every stored record is whole (its body, computed values, version 1, its audit entry)
    and every audit entry's record is stored; every photo's bytes hash to its sha256."""
    if not is_postgis_url(location):
        assert read_rows(location, "PRAGMA integrity_check") == [("ok",)]
    records = open_record_store(location)  # as the restarted service will
    try:
        stored, total = records.list_records("marker", RecordFilter())
        audited = {
            e.detail["body"]["record_id"]
            for e in records.audit_log()
            if e.action == "record.create"
        }
        for record in stored:
            assert record.body["record_id"] == record.record_id and record.version == 1
            assert "displacement_m" in record.computed
            for photo in record.photos:
                _, data = records.photo_bytes(record.record_id, photo.sha256)
                assert hashlib.sha256(data).hexdigest() == photo.sha256
                assert len(data) == photo.size_bytes
        assert {r.record_id for r in stored} == audited and total == len(stored)
        assert records.verify_audit().ok
    finally:
        records.close()


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_record(kit: Kit) -> None:
    acked: list[dict[str, Any]] = []
    stop = threading.Event()
    with server(kit.location) as (url, process):
        workers = [
            threading.Thread(target=_submitter, args=(url, kit, w, acked, stop)) for w in range(4)
        ]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 30
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)  # mid-submission: no shutdown, no flush
        process.wait(timeout=30)
        stop.set()
        for w in workers:
            w.join(timeout=30)
    assert len(acked) >= 40
    _check_no_partial_rows(kit.location)
    with (
        server(kit.location) as (url, _),
        httpx.Client(base_url=url, headers=kit.auth("admin"), timeout=30) as client,
    ):
        for item in acked:
            rid = item["body"]["record_id"]
            stored = client.get(f"/inspections/{rid}")
            assert stored.status_code == 200, rid
            assert stored.json()["notes"] == item["body"]["notes"]
            assert stored.json()["computed"] == item["record"]["computed"]
            if item["photo"]:
                assert item["photo"] in stored.json()["photo_status"]["received"]
            # a client that never heard back retries: same body, same record
            assert (
                client.post(
                    "/inspections", json=item["body"], headers=kit.auth("insp_left")
                ).status_code
                == 200
            )
        assert client.get("/inspections/audit/verify").json()["ok"]
