"""Accounts: sign-in throttling per user and per address (429 + Retry-After, even for the
right password, until the window passes), sign-ins audited, the password rule, and the user
lifecycle over HTTP and the CLI (disable revokes at once, revoke is not undone by the next
sign-in, passwd, remove); on a GeoPackage and on PostGIS."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import issue_token
from api.cli import app as cli
from api.config import Settings
from api.users.signin import SignInThrottle
from tests.api.test_inspection_kit import PASSWORD, Kit, build_kit

WINDOW_S = 4.0


@pytest.fixture(scope="module")
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    with build_kit(new_location("accounts")) as kit:
        yield kit


@pytest.fixture
def client(kit: Kit, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """A fresh app per test (fresh throttle): 3 failures per name, 6 per address, counted
    over :data:`WINDOW_S` (or over the test's ``window_s`` mark)."""
    mark = request.node.get_closest_marker("window_s")
    settings = Settings(
        store=kit.location,
        signin_max_failures=3,
        signin_max_address_failures=6,
        signin_window_s=mark.args[0] if mark else WINDOW_S,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _sign_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    answer = client.post("/auth/token", data={"username": username, "password": password})
    client.cookies.clear()
    return answer.status_code


def test_failures_throttle_the_name_until_the_window_passes(client: TestClient, kit: Kit) -> None:
    assert [_sign_in(client, "viewer", "wrong password!") for _ in range(3)] == [401] * 3
    throttled = client.post("/auth/token", data={"username": "viewer", "password": PASSWORD})
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= WINDOW_S
    assert "Retry-After" in throttled.headers and " / " in throttled.json()["detail"]
    assert _sign_in(client, "planner") == 200  # another name is not held up
    time.sleep(WINDOW_S + 0.1)
    assert _sign_in(client, "viewer") == 200
    actions = [(e.action, e.target) for e in kit.records.audit_log()[-7:]]
    assert actions.count(("auth.sign_in_failed", "user:viewer")) == 3
    assert ("auth.sign_in", "user:viewer") in actions  # and no entry for the 429


@pytest.mark.window_s(600)
def test_failures_throttle_the_address_across_names(client: TestClient) -> None:
    for name in ("nobody1", "nobody2", "nobody3", "nobody4", "nobody5", "nobody6"):
        assert _sign_in(client, name) == 401
    assert _sign_in(client, "admin") == 429


def test_the_throttle_forgets_and_tells_the_wait() -> None:
    now = [0.0]
    throttle = SignInThrottle(
        max_user_failures=2, max_address_failures=9, window_s=60, clock=lambda: now[0]
    )
    throttle.failed("a", "1.2.3.4")
    now[0] = 10
    throttle.failed("a", "1.2.3.4")
    assert throttle.retry_after("a", "1.2.3.4") == 50
    now[0] = 60.5
    assert throttle.retry_after("a", "1.2.3.4") is None  # the first failure left the window
    throttle.failed("a", "1.2.3.4")
    throttle.succeeded("a")
    assert throttle.retry_after("a", "1.2.3.4") is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "at least"),
        ("1234567890", "common"),
        ("woaini1314", "common"),
        ("newbie2025newbie", "user name"),
        ("aaaaaaaaaaaa", "common|guess"),
    ],
)
def test_weak_passwords_are_refused(
    client: TestClient, kit: Kit, password: str, reason: str
) -> None:
    body = {"username": "newbie", "role": "viewer", "password": password}
    answer = client.post("/users", json=body, headers=kit.auth("admin"))
    assert answer.status_code == 422
    assert any(word in answer.text for word in reason.split("|")), answer.text
    assert password not in answer.text


@pytest.mark.parametrize(
    ("name", "password", "status"),
    [
        ("long1", "Qz7!vX-" + "j4%Lp9" * 20 + "*", 201),  # 128 characters, strong
        ("long2", "a" * 150, 422),  # easy to guess, judged by its start
        ("long3", "Qz7!" * 60, 422),  # 240 characters: over the limit
    ],
)
def test_long_passwords_are_judged_not_a_server_error(
    client: TestClient, kit: Kit, name: str, password: str, status: int
) -> None:
    """Passwords beyond the strength estimator's 72 characters are judged by their start."""
    body = {"username": name, "role": "viewer", "password": password}
    answer = client.post("/users", json=body, headers=kit.auth("admin"))
    assert answer.status_code == status, answer.text
    assert password not in answer.text


def test_disable_revokes_every_token_at_once_and_enable_needs_a_new_sign_in(
    client: TestClient, kit: Kit
) -> None:
    second, _ = issue_token(kit.records, "viewer", actor="test")
    headers = [kit.auth("viewer"), {"Authorization": f"Bearer {second}"}]
    assert all(client.get("/users/me", headers=h).status_code == 200 for h in headers)
    assert client.post("/users/viewer/disable", headers=kit.auth("planner")).status_code == 403
    done = client.post("/users/viewer/disable", headers=kit.auth("admin"))
    assert done.status_code == 200 and done.json()["tokens_revoked"] >= 2
    assert all(client.get("/users/me", headers=h).status_code == 401 for h in headers)
    assert _sign_in(client, "viewer") == 401
    assert client.post("/users/viewer/enable", headers=kit.auth("admin")).status_code == 200
    assert client.get("/users/me", headers=headers[0]).status_code == 401  # still revoked
    assert _sign_in(client, "viewer") == 200
    kit.tokens["viewer"] = issue_token(kit.records, "viewer", actor="test")[0]
    assert client.post("/users/admin/disable", headers=kit.auth("admin")).status_code == 409


def test_revoke_is_not_undone_by_the_next_sign_in(client: TestClient, kit: Kit) -> None:
    revoked = client.post("/users/planner/revoke", headers=kit.auth("admin"))
    assert revoked.status_code == 200 and revoked.json()["tokens_revoked"] >= 1
    assert client.get("/users/me", headers=kit.auth("planner")).status_code == 401
    assert _sign_in(client, "planner") == 401
    new = {"password": "Another-Field-Day-7"}
    assert (
        client.put("/users/planner/password", json=new, headers=kit.auth("admin")).status_code
        == 200
    )
    assert _sign_in(client, "planner", new["password"]) == 200
    old = {"password": PASSWORD}
    assert (
        client.put("/users/planner/password", json=old, headers=kit.auth("admin")).status_code
        == 200
    )
    kit.tokens["planner"] = issue_token(kit.records, "planner", actor="test")[0]


def test_remove_only_users_no_record_names(client: TestClient, kit: Kit) -> None:
    body = {"username": "temp_user", "role": "viewer", "password": "Temporary-Access-99"}
    assert client.post("/users", json=body, headers=kit.auth("admin")).status_code == 201
    assert client.delete("/users/temp_user", headers=kit.auth("admin")).status_code == 204
    assert _sign_in(client, "temp_user", body["password"]) == 401
    assert client.delete("/users/temp_user", headers=kit.auth("admin")).status_code == 404
    named = client.delete("/users/admin", headers=kit.auth("admin"))
    assert named.status_code == 409


def test_cli_disable_enable_passwd_revoke_remove(kit: Kit) -> None:
    runner = CliRunner()
    store = ["--store", kit.location]

    def run(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(cli, ["users", *args, *store], input=stdin)
        assert result.exit_code == 0, result.output
        return result.output

    token, _ = issue_token(kit.records, "viewer", actor="test")
    assert "revoked" in run("disable", "viewer")
    assert kit.records.user_for_token(_digest(token), now="2000-01-01T00:00:00Z") is None
    run("enable", "viewer")
    weak = runner.invoke(
        cli, ["users", "passwd", "viewer", "--password-stdin", *store], input="1234567890\n"
    )
    assert weak.exit_code == 1 and "common" in weak.output
    run("passwd", "viewer", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert "locked" in run("revoke", "viewer")
    assert kit.records.get_user("viewer").password_hash == "!"
    run("passwd", "viewer", "--password-stdin", stdin=f"{PASSWORD}\n")
    run("add", "gone", "--role", "viewer", "--password-stdin", stdin="Short-Lived-User-1\n")
    run("remove", "gone", "--yes")
    assert "gone" not in [u.username for u in kit.records.list_users()]
    kit.tokens["viewer"] = issue_token(kit.records, "viewer", actor="test")[0]


def _digest(token: str) -> str:
    from api.auth import token_digest

    return token_digest(token)


@pytest.mark.slow
def test_signin_flood_bench_smoke(demo_store: Path) -> None:
    """The sign-in flood benchmark's smoke size runs (speed is not asserted)."""
    bench = Path(__file__).resolve().parents[2] / "bench" / "signin_flood.py"
    done = subprocess.run(
        [sys.executable, str(bench), "--smoke", "--store", str(demo_store)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "flooded: GET /users/me p50" in done.stdout and "sign-ins answered" in done.stdout
