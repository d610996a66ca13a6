"""Against a real server on loopback: 100 parallel replays of one submission leave exactly
one record (uvicorn in a thread), and a server killed with SIGKILL while clients submit
loses no acknowledged record and leaves no partial one (uvicorn in a subprocess)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_inspection_kit import MARKERS_0001, Kit, build_kit, marker_body

JPEG = b"\xff\xd8\xff\xe0" + b"durable" * 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``uvicorn --factory api.app:create_app`` on ``path``; stopped (killed) on exit."""
    port = free_port()
    env = {**os.environ, "MZGIS_STORE": str(path)}
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
def thread_server(path: Path) -> Iterator[str]:
    """The app on ``path`` served by uvicorn in a thread of this process."""
    import uvicorn

    from tests.api.test_inspection_kit import make_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(make_app(path), log_level="warning"))
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
def kit(tmp_path: Path) -> Kit:
    return build_kit(tmp_path)


@pytest.mark.slow
def test_one_hundred_parallel_replays_store_one_record(kit: Kit) -> None:
    body = marker_body()
    barrier = threading.Barrier(100)
    codes: list[int] = []
    limits = httpx.Limits(max_connections=100)
    with (
        thread_server(kit.path) as url,
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
    con = sqlite3.connect(kit.path)
    rows = con.execute("SELECT COUNT(*) FROM mzgis_marker_inspections").fetchone()[0]
    creates = con.execute(
        "SELECT COUNT(*) FROM mzgis_audit WHERE action = 'record.create'"
    ).fetchone()[0]
    con.close()
    assert (rows, creates) == (1, 1)


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


def _check_no_partial_rows(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute(
            "SELECT record_id, body, computed, version FROM mzgis_marker_inspections"
        ).fetchall()
        audited = {
            json.loads(d)["body"]["record_id"]
            for (d,) in con.execute("SELECT detail FROM mzgis_audit WHERE action = 'record.create'")
        }
        photos = con.execute("SELECT record_id, sha256, data FROM mzgis_photos").fetchall()
    finally:
        con.close()
    for record_id, body, computed, version in rows:
        assert json.loads(body)["record_id"] == record_id and version == 1
        assert "displacement_m" in json.loads(computed)
    assert {r[0] for r in rows} == audited  # every stored record has its audit entry, and back
    for _, sha, data in photos:
        assert hashlib.sha256(data).hexdigest() == sha


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_record(kit: Kit) -> None:
    acked: list[dict[str, Any]] = []
    stop = threading.Event()
    with server(kit.path) as (url, process):
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
    _check_no_partial_rows(kit.path)
    with (
        server(kit.path) as (url, _),
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
