"""Authentication: argon2 passwords, bearer tokens stored hashed, sign-in, expiry and
revocation, the map-page cookie, and ``mzgis users``; on a GeoPackage and on PostGIS."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.auth import hash_password, issue_token, token_digest, verify_password
from api.cli import app as cli
from layers.store import is_postgis_url
from tests.api.test_inspection_kit import PASSWORD, Kit, build_kit, make_app, read_rows


@pytest.fixture(scope="module")
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    """The module's world, on each backend in turn."""
    with build_kit(new_location("auth")) as kit:
        yield kit


@pytest.fixture(scope="module")
def client(kit: Kit) -> Iterator[TestClient]:
    with TestClient(make_app(kit.location)) as test_client:
        yield test_client


def store_text(location: str) -> str:
    """Every row of every table of the store at ``location``, as text: what anyone holding
    a copy of the file or of the database schema could read."""
    tables = (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        if is_postgis_url(location)
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    names = [name for (name,) in read_rows(location, tables)]
    assert "mzgis_tokens" in names
    return "\n".join(repr(read_rows(location, f'SELECT * FROM "{name}"')) for name in names)


def test_passwords_are_argon2id_hashes() -> None:
    hashed = hash_password("s3cret pass")
    assert hashed.startswith("$argon2id$") and "s3cret" not in hashed
    assert hashed != hash_password("s3cret pass")  # salted
    assert verify_password(hashed, "s3cret pass")
    assert not verify_password(hashed, "s3cret pas")
    assert not verify_password(None, "s3cret pass")
    assert not verify_password("not a hash", "x")


def test_tokens_are_stored_as_sha256_only(kit: Kit) -> None:
    token, _ = issue_token(kit.records, "viewer", actor="test")
    stored = [r[0] for r in read_rows(kit.location, "SELECT token_hash FROM mzgis_tokens")]
    assert token_digest(token) in stored
    dump = store_text(kit.location)
    assert token_digest(token) in dump and token not in dump


def test_sign_in_issues_a_working_token(client: TestClient) -> None:
    answer = client.post("/auth/token", data={"username": "insp_left", "password": PASSWORD})
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    assert client.cookies.get("mzgis_token") == token  # for the map pages
    client.cookies.clear()
    me = client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "insp_left" and me.json()["campaigns"] == ["2025-0001"]
    assert "password_hash" not in me.json()


@pytest.mark.parametrize(("username", "password"), [("insp_left", "wrong"), ("nobody", PASSWORD)])
def test_sign_in_refuses_bad_credentials(client: TestClient, username: str, password: str) -> None:
    answer = client.post("/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer mzgis_forged", "Basic dXNlcjpwYXNz", "bearer  "]
)
def test_bad_tokens_are_401(client: TestClient, header: str) -> None:
    answer = client.get("/inspections", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert " / " in answer.json()["detail"]


def test_expired_and_revoked_tokens_are_401(client: TestClient, kit: Kit) -> None:
    short, _ = issue_token(kit.records, "viewer", actor="test", days=-1)
    assert client.get("/users/me", headers={"Authorization": f"Bearer {short}"}).status_code == 401
    live, _ = issue_token(kit.records, "planner", actor="test")
    auth = {"Authorization": f"Bearer {live}"}
    assert client.get("/users/me", headers=auth).status_code == 200
    kit.records.revoke_tokens("planner", actor="test")
    assert client.get("/users/me", headers=auth).status_code == 401
    kit.tokens["planner"] = issue_token(kit.records, "planner", actor="test")[0]


def test_cookie_authenticates_reads_but_writes_need_csrf(client: TestClient, kit: Kit) -> None:
    cookie = {"mzgis_token": kit.tokens["admin"]}
    try:
        client.cookies.update(cookie)
        assert client.get("/users/me").status_code == 200
        before = kit.snapshot()
        body = {"username": "via_cookie", "role": "viewer", "password": "long enough"}
        refused = client.post("/users", json=body)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        forged = client.post("/users", json=body, headers={"X-CSRF-Token": "0" * 64})
        assert forged.status_code == 403
        assert kit.snapshot() == before
    finally:
        client.cookies.clear()


def test_admin_adds_users_over_the_api(client: TestClient, kit: Kit) -> None:
    body = {"username": "new_viewer", "role": "viewer", "password": "a long password"}
    assert client.post("/users", json=body, headers=kit.auth("planner")).status_code == 403
    created = client.post("/users", json=body, headers=kit.auth("admin"))
    assert created.status_code == 201 and created.json()["role"] == "viewer"
    again = client.post("/users", json=body, headers=kit.auth("admin"))
    assert again.status_code == 409
    short = client.post(
        "/users", json={**body, "username": "x2", "password": "short"}, headers=kit.auth("admin")
    )
    assert short.status_code == 422
    signed = client.post(
        "/auth/token", data={"username": "new_viewer", "password": "a long password"}
    )
    assert signed.status_code == 200
    client.cookies.clear()


def test_cli_users_add_list_token(new_location: Callable[[str], str]) -> None:
    store = new_location("users")
    build_kit(store).close()
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "users",
            "add",
            "wang",
            "--role",
            "inspector",
            "--name",
            "王建国",
            "--password-stdin",
            "--store",
            store,
        ],
        input="a long password\n",
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["users", "list", "--store", store])
    assert "wang" in listed.output and "inspector" in listed.output
    bad_role = runner.invoke(
        cli,
        ["users", "add", "li", "--role", "boss", "--password-stdin", "--store", store],
        input="a long password\n",
    )
    assert bad_role.exit_code == 1
    issued = runner.invoke(cli, ["users", "token", "wang", "--store", store])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[0]
    with TestClient(make_app(store)) as client:
        me = client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["display_name"] == "王建国"
        signed = client.post(
            "/auth/token", data={"username": "wang", "password": "a long password"}
        )
        assert signed.status_code == 200
    unknown = runner.invoke(cli, ["users", "token", "nobody", "--store", store])
    assert unknown.exit_code == 1
    revoked = runner.invoke(cli, ["users", "revoke", "wang", "--store", store])
    assert "2" in revoked.output  # the CLI token and the sign-in token
