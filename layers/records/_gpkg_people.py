"""Users, bearer tokens, campaigns and their members in the GeoPackage record store."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from layers._errors import ConflictError, Problem
from layers.records._gpkg_conn import ConnectionMixin
from layers.records.errors import RecordNotFoundError, RecordValidationError
from layers.records.models import SIDES, AuditEntry, Campaign, Member, User

__all__ = ["PeopleMixin", "now_iso"]

_USER_COLUMNS = "username, role, display_name, password_hash, active, created_at"
_CAMPAIGN_COLUMNS = (
    "campaign_id, line_code, round_no, year, name, left_code, left_name, right_code, "
    "right_name, created_by, created_at, estimated"
)


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds and ``Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class PeopleMixin(ConnectionMixin):
    """Users, tokens and campaigns of :class:`GeoPackageRecordStore`."""

    def _append_audit(
        self, con: sqlite3.Connection, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> AuditEntry:
        raise NotImplementedError

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
                f"INSERT INTO mzgis_users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
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
            return [_to_user(r) for r in rows.fetchall()]

    def add_token(
        self, username: str, token_hash: str, *, label: str, expires_at: str, actor: str
    ) -> None:
        with self._transaction() as con:
            if _user_row(con, username) is None:
                raise RecordNotFoundError("user", username)
            con.execute(
                "INSERT INTO mzgis_tokens VALUES (?, ?, ?, ?, ?, NULL)",
                (token_hash, username, label, now_iso(), expires_at),
            )
            detail = {"label": label, "expires_at": expires_at, "token_sha256": token_hash[:12]}
            self._append_audit(con, actor, "token.issue", f"user:{username}", detail)

    def user_for_token(self, token_hash: str, *, now: str) -> User | None:
        with self._connection() as con:
            row = con.execute(
                f"SELECT {', '.join('u.' + c for c in _USER_COLUMNS.split(', '))} "
                "FROM mzgis_tokens t JOIN mzgis_users u ON u.username = t.username "
                "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? "
                "AND u.active = 1",
                (token_hash, now),
            ).fetchone()
        return None if row is None else _to_user(row)

    def revoke_tokens(self, username: str, *, actor: str) -> int:
        with self._transaction() as con:
            cur = con.execute(
                "UPDATE mzgis_tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
                (now_iso(), username),
            )
            self._append_audit(
                con, actor, "token.revoke", f"user:{username}", {"revoked": cur.rowcount}
            )
            return int(cur.rowcount)

    # -- campaigns ---------------------------------------------------------------------

    def add_campaign(self, campaign: Campaign, *, actor: str) -> Campaign:
        with self._transaction() as con:
            if _campaign_row(con, campaign.campaign_id) is not None:
                cid = campaign.campaign_id
                raise ConflictError(f"campaign {cid!r} already exists / 联检批次 {cid!r} 已存在")
            values = {**campaign.__dict__, "created_by": actor, "created_at": now_iso()}
            values["estimated"] = int(campaign.estimated)
            marks = ", ".join("?" * len(values))
            con.execute(
                f"INSERT INTO mzgis_campaigns ({_CAMPAIGN_COLUMNS}) VALUES ({marks})",
                list(values.values()),
            )
            detail = {k: v for k, v in values.items() if k not in ("created_by", "created_at")}
            self._append_audit(
                con, actor, "campaign.add", f"campaign:{campaign.campaign_id}", detail
            )
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
        out = [_to_campaign(r) for r in rows]
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
                "INSERT INTO mzgis_campaign_members VALUES (?, ?, ?) "
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
                "WHERE campaign_id = ? ORDER BY side, username",
                (campaign_id,),
            ).fetchall()
        return [Member(*r) for r in rows]

    def campaigns_of(self, username: str) -> tuple[str, ...]:
        with self._connection() as con:
            rows = con.execute(
                "SELECT campaign_id FROM mzgis_campaign_members WHERE username = ? "
                "ORDER BY campaign_id",
                (username,),
            ).fetchall()
        return tuple(r[0] for r in rows)

    def _require_campaign(self, con: sqlite3.Connection, campaign_id: str) -> None:
        if _campaign_row(con, campaign_id) is None:
            raise RecordNotFoundError("campaign", campaign_id)


def _user_row(con: sqlite3.Connection, username: str) -> tuple[Any, ...] | None:
    sql = f"SELECT {_USER_COLUMNS} FROM mzgis_users WHERE username = ?"
    row = con.execute(sql, (username,)).fetchone()
    return None if row is None else tuple(row)


def _to_user(row: tuple[Any, ...]) -> User:
    username, role, display, password_hash, active, created = row
    return User(username, role, display, password_hash, bool(active), created)


def _campaign_row(con: sqlite3.Connection, campaign_id: str) -> tuple[Any, ...] | None:
    sql = f"SELECT {_CAMPAIGN_COLUMNS} FROM mzgis_campaigns WHERE campaign_id = ?"
    row = con.execute(sql, (campaign_id,)).fetchone()
    return None if row is None else tuple(row)


def _to_campaign(row: tuple[Any, ...]) -> Campaign:
    cid, line, round_no, year, name, lcode, lname, rcode, rname, by, at, estimated = row
    return Campaign(
        cid, line, round_no, year, name, lcode, lname, rcode, rname, by, at, bool(estimated)
    )
