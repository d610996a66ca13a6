"""The body policy (api.bodies): NaN, Infinity, overflowing numbers, huge integers, invalid
Unicode and non-UTF-8 bodies get a 422 naming the place; bodies past the limit get a 413
after reading at most the limit (counted at the ASGI boundary), chunked or not; every error
body is strict JSON; security headers on every answer."""

from __future__ import annotations

import asyncio
import json
import math
import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient

from api.app import create_app
from api.bodies import json_problem
from api.config import Settings
from api.validation_errors import request_validation_handler

MIB = 1024 * 1024
LIMIT = 1 * MIB


@pytest.fixture(scope="module")
def app(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The service on a copy of the small store (a coverage run saves a network beside it)."""
    copy = tmp_path_factory.mktemp("bodies") / "small.gpkg"
    shutil.copyfile(small_store, copy)
    app = create_app(Settings(store=str(copy), max_json_bytes=LIMIT, max_upload_bytes=LIMIT))

    async def read_form(request: Request) -> dict[str, int]:  # reads a whole upload
        form = await request.form()
        return {"fields": len(form)}

    app.add_api_route("/test/form", read_form, methods=["POST"])
    return app


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _post(client: TestClient, text: str | bytes) -> Any:
    content = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return client.post(
        "/analyses/coverage", content=content, headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"facilities": "stations", "radius_m": NaN}', "NaN"),
        ('{"facilities": "stations", "radius_m": Infinity}', "Infinity"),
        ('{"facilities": "stations", "radius_m": -Infinity}', "-Infinity"),
        ('{"facilities": "stations", "radius_m": 1e400}', "beyond the range"),
        ('{"facilities": "stations", "tiers_m": [300, 90071992547409930]}', "2^53"),
        ('{"facilities": "stations", "radius_m": ' + "9" * 5000 + "}", "2^53"),
        ('{"facilities": "\\ud800"}', "lone surrogate"),
        ('{"\\udfff": 1}', "invalid Unicode"),
    ],
)
def test_refused_values_get_422_naming_them(client: TestClient, body: str, reason: str) -> None:
    answer = _post(client, body)
    assert answer.status_code == 422, answer.text
    parsed = json.loads(answer.content.decode("utf-8"))  # strict UTF-8, strict JSON
    assert parsed["code"] == "invalid_body"
    assert reason in parsed["detail"] and " / " in parsed["detail"]
    assert parsed["problems"][0]["location"] == "body"


def test_invalid_utf8_and_the_lone_surrogate_path(client: TestClient) -> None:
    answer = _post(client, b'{"facilities": "\xff\xfe"}')
    assert answer.status_code == 422 and "UTF-8" in answer.json()["detail"]
    assert json_problem(b'{"a": [1, {"b": "\\ud800"}]}') == (
        "body.a.1.b",
        "holds invalid Unicode (a lone surrogate) / 含有无效的 Unicode 字符",
    )
    assert json_problem(b'{"a": "\\ud83d\\ude00", "b": 1.5, "c": 9007199254740992}') is None
    assert json_problem(b"{not json") is None  # left to the route: 422 json_invalid


def test_valid_bodies_still_pass_and_malformed_json_is_the_routes_422(client: TestClient) -> None:
    answer = _post(client, '{"facilities": "stations", "tiers_m": [300, 500]}')
    assert answer.status_code == 200, answer.text
    broken = _post(client, '{"facilities": ')
    assert broken.status_code == 422 and broken.json()["code"] == "invalid_body"


def test_the_validation_handler_never_echoes_what_it_cannot_encode() -> None:
    errors = [
        {"type": "finite_number", "loc": ("body", "radius_m"), "msg": "x", "input": math.nan},
        {"type": "string_type", "loc": ("query", "q"), "msg": "x", "input": "\ud800"},
    ]
    answer = asyncio.run(request_validation_handler(None, RequestValidationError(errors)))  # type: ignore[arg-type]
    parsed = json.loads(answer.body.decode("utf-8"))
    assert [p["value"] for p in parsed["problems"]] == ["nan", "'\\ud800'"]


def drive(
    app: FastAPI,
    path: str,
    headers: dict[str, str],
    chunks: Iterator[bytes],
    *,
    run: Callable[[Callable[[], Awaitable[None]]], object] = lambda fn: asyncio.run(fn()),
) -> tuple[int, int]:
    """POST ``chunks`` to ``app`` at the ASGI boundary (``run`` runs the call: by default in
    a new event loop; a started TestClient's portal runs it inside the app's lifespan);
    ``(status, body bytes pulled)``."""
    pulled, status = 0, 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 9), "server": ("127.0.0.1", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip

    async def call() -> None:
        await app(scope, receive, send)  # type: ignore[arg-type]

    run(call)
    return status, pulled


def multipart_head(boundary: str, field: str = "file") -> bytes:
    """The start of a multipart body whose file part never ends."""
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()


def stream(total_bytes: int, *, prefix: bytes = b"") -> Iterator[bytes]:
    yield prefix
    for _ in range(total_bytes // MIB):
        yield b" " * MIB


def test_a_92_mb_chunked_json_body_is_refused_at_the_limit(app: FastAPI) -> None:
    status, pulled = drive(
        app, "/analyses/coverage", {"content-type": "application/json"},
        stream(92 * MIB, prefix=b'{"facilities": "stations", "pad": "'),
    )  # fmt: skip
    assert status == 413
    assert pulled <= LIMIT + MIB  # one chunk past the limit at most, never the 92 MB


def test_a_declared_length_past_the_limit_is_refused_before_reading(app: FastAPI) -> None:
    headers = {"content-type": "application/json", "content-length": str(92 * MIB)}
    status, pulled = drive(app, "/analyses/coverage", headers, stream(92 * MIB))
    assert (status, pulled) == (413, 0)


def test_a_400_mb_chunked_upload_stops_at_the_limit(app: FastAPI) -> None:
    headers = {"content-type": "multipart/form-data; boundary=xyz"}
    status, pulled = drive(
        app, "/test/form", headers, stream(400 * MIB, prefix=multipart_head("xyz"))
    )
    assert status == 413
    assert pulled <= LIMIT + MIB


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for path in ("/healthz", "/collections", "/maps", "/nope"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "'unsafe-inline'" not in policy.split(";")[1]  # the script-src directive
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
