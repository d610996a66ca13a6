"""Connections, users, bearer tokens, campaigns and their members in the PostGIS record
store (the twin of :mod:`layers.records._gpkg_people`).

Every method runs in one transaction on a pooled connection with the store's schema first
on the ``search_path``. Writers take one advisory lock per store first, so record writes
queue (as ``BEGIN IMMEDIATE`` makes them in a GeoPackage): a replayed submission waits for
the first to commit and then finds it, and audit entries are appended one at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from layers._errors import ConflictError, Problem
from layers.records._gpkg_people import (
    _CAMPAIGN_COLUMNS,
    _USER_COLUMNS,
    _to_campaign,
    _to_user,
    now_iso,
)
from layers.records.errors import RecordNotFoundError, RecordValidationError
from layers.records.models import SIDES, AuditEntry, Campaign, Member, User
from layers.store import _pg_conn

__all__ = ["PgPeople"]

Con = psycopg.Connection[Any]


class PgPeople:
    """Connections, users, tokens and campaigns of :class:`PostGISRecordStore`."""

    pool: ConnectionPool
    schema: str
    _search_path: str

    def _append_audit(
        self, con: Con, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> AuditEntry:
        raise NotImplementedError

    # -- connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Con]:
        """One transaction on a pooled connection, the store's schema first on the path; a
        database failure becomes a :class:`StoreError`."""
        try:
            with self.pool.connection() as con, con.transaction():
                con.execute("SELECT set_config('search_path', %s, true)", (self._search_path,))
                yield con
        except psycopg.Error as exc:
            zh = "PostGIS 记录存储访问失败"
            raise _pg_conn.store_error(exc, "PostGIS record store failed", zh) from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Con]:
        """A writing transaction: :meth:`_connection` after the store's write lock."""
        with self._connection() as con:
            _pg_conn.advisory_lock(con, self.schema, "records")
            yield con

    # -- users and tokens --------------------------------------------------------------

    def add_user(self, user: User, *, actor: str) -> User:
        with self._transaction() as con:
            if _user_row(con, user.username) is not None:
                msg = f"user {user.username!r} already exists / 用户 {user.username!r} 已存在"
                raise ConflictError(msg)
            created = User(
                user.username, user.role, user.display_name, user.password_hash, True, now_iso()
            )
            con.execute(
                f"INSERT INTO mzgis_users ({_USER_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                (*created.__dict__.values(),),
            )
            detail = {"role": user.role, "display_name": user.display_name}
            self._append_audit(con, actor, "user.add", f"user:{user.username}", detail)
            return created

    def get_user(self, username: str) -> User:
        with self._connection() as con:
            row = _user_row(con, username)
        if row is None:
            raise RecordNotFoundError("user", username)
        return _to_user(row)

    def list_users(self) -> list[User]:
        with self._connection() as con:
            rows = con.execute(f"SELECT {_USER_COLUMNS} FROM mzgis_users ORDER BY username")
            return [_to_user(tuple(r)) for r in rows.fetchall()]

    def add_token(
        self, username: str, token_hash: str, *, label: str, expires_at: str, actor: str
    ) -> None:
        with self._transaction() as con:
            if _user_row(con, username) is None:
                raise RecordNotFoundError("user", username)
            con.execute(
                "INSERT INTO mzgis_tokens VALUES (%s, %s, %s, %s, %s, NULL)",
                (token_hash, username, label, now_iso(), expires_at),
            )
            detail = {"label": label, "expires_at": expires_at, "token_sha256": token_hash[:12]}
            self._append_audit(con, actor, "token.issue", f"user:{username}", detail)

    def user_for_token(self, token_hash: str, *, now: str) -> User | None:
        columns = ", ".join("u." + c for c in _USER_COLUMNS.split(", "))
        with self._connection() as con:
            row = con.execute(
                f"SELECT {columns} FROM mzgis_tokens t "
                "JOIN mzgis_users u ON u.username = t.username "
                "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s "
                "AND u.active",
                (token_hash, now),
            ).fetchone()
        return None if row is None else _to_user(tuple(row))

    def revoke_tokens(self, username: str, *, actor: str) -> int:
        with self._transaction() as con:
            cur = con.execute(
                "UPDATE mzgis_tokens SET revoked_at = %s "
                "WHERE username = %s AND revoked_at IS NULL",
                (now_iso(), username),
            )
            count = cur.rowcount
            detail = {"revoked": count}
            self._append_audit(con, actor, "token.revoke", f"user:{username}", detail)
            return int(count)

    # -- campaigns ---------------------------------------------------------------------

    def add_campaign(self, campaign: Campaign, *, actor: str) -> Campaign:
        with self._transaction() as con:
            if _campaign_row(con, campaign.campaign_id) is not None:
                cid = campaign.campaign_id
                raise ConflictError(f"campaign {cid!r} already exists / 联检批次 {cid!r} 已存在")
            values = {**campaign.__dict__, "created_by": actor, "created_at": now_iso()}
            values["estimated"] = bool(campaign.estimated)
            marks = ", ".join(["%s"] * len(values))
            con.execute(
                f"INSERT INTO mzgis_campaigns ({_CAMPAIGN_COLUMNS}) VALUES ({marks})",
                list(values.values()),
            )
            detail = {k: v for k, v in values.items() if k not in ("created_by", "created_at")}
            detail["estimated"] = int(campaign.estimated)  # as the GeoPackage store logs it
            target = f"campaign:{campaign.campaign_id}"
            self._append_audit(con, actor, "campaign.add", target, detail)
            return _to_campaign(_campaign_row(con, campaign.campaign_id) or ())

    def get_campaign(self, campaign_id: str) -> Campaign:
        with self._connection() as con:
            row = _campaign_row(con, campaign_id)
        if row is None:
            raise RecordNotFoundError("campaign", campaign_id)
        return _to_campaign(row)

    def list_campaigns(self, *, campaign_ids: tuple[str, ...] | None = None) -> list[Campaign]:
        with self._connection() as con:
            rows = con.execute(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM mzgis_campaigns ORDER BY year DESC, campaign_id"
            ).fetchall()
        out = [_to_campaign(tuple(r)) for r in rows]
        return out if campaign_ids is None else [c for c in out if c.campaign_id in campaign_ids]

    def add_member(self, campaign_id: str, username: str, *, side: str, actor: str) -> Member:
        if side not in SIDES:
            problem = Problem(None, "side", side, f"must be one of {SIDES} / 必须是 left 或 right")
            raise RecordValidationError("member", [problem])
        with self._transaction() as con:
            self._require_campaign(con, campaign_id)
            if _user_row(con, username) is None:
                raise RecordNotFoundError("user", username)
            con.execute(
                "INSERT INTO mzgis_campaign_members VALUES (%s, %s, %s) "
                "ON CONFLICT (campaign_id, username) DO UPDATE SET side = excluded.side",
                (campaign_id, username, side),
            )
            detail = {"username": username, "side": side}
            self._append_audit(con, actor, "campaign.member", f"campaign:{campaign_id}", detail)
            return Member(campaign_id, username, side)

    def members(self, campaign_id: str) -> list[Member]:
        with self._connection() as con:
            rows = con.execute(
                "SELECT campaign_id, username, side FROM mzgis_campaign_members "
                "WHERE campaign_id = %s ORDER BY side, username",
                (campaign_id,),
            ).fetchall()
        return [Member(*r) for r in rows]

    def campaigns_of(self, username: str) -> tuple[str, ...]:
        with self._connection() as con:
            rows = con.execute(
                "SELECT campaign_id FROM mzgis_campaign_members WHERE username = %s "
                "ORDER BY campaign_id",
                (username,),
            ).fetchall()
        return tuple(r[0] for r in rows)

    def _require_campaign(self, con: Con, campaign_id: str) -> None:
        if _campaign_row(con, campaign_id) is None:
            raise RecordNotFoundError("campaign", campaign_id)


def _user_row(con: Con, username: str) -> tuple[Any, ...] | None:
    query = f"SELECT {_USER_COLUMNS} FROM mzgis_users WHERE username = %s"
    row = con.execute(query, (username,)).fetchone()
    return None if row is None else tuple(row)


def _campaign_row(con: Con, campaign_id: str) -> tuple[Any, ...] | None:
    query = f"SELECT {_CAMPAIGN_COLUMNS} FROM mzgis_campaigns WHERE campaign_id = %s"
    row = con.execute(query, (campaign_id,)).fetchone()
    return None if row is None else tuple(row)
