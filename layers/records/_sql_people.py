"""Users, bearer tokens, campaigns and their members: the logic both record stores share.

SQL is written once with ``?`` placeholders; a backend sets :attr:`SqlPeople._MARK` (its
placeholder), :attr:`SqlPeople._ACTIVE` (how an active user is tested) and
:meth:`SqlPeople._flag` (how a boolean is stored), and provides the connection hooks
``_connection`` (a read) and ``_transaction`` (a write, one transaction).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any, ClassVar

from layers._errors import ConflictError, Problem
from layers.records.errors import RecordNotFoundError, RecordValidationError
from layers.records.models import SIDES, AuditEntry, Campaign, Member, User

__all__ = ["CAMPAIGN_COLUMNS", "USER_COLUMNS", "SqlPeople", "now_iso", "to_campaign", "to_user"]

USER_COLUMNS = "username, role, display_name, password_hash, active, created_at"
CAMPAIGN_COLUMNS = (
    "campaign_id, line_code, round_no, year, name, left_code, left_name, right_code, "
    "right_name, created_by, created_at, estimated"
)


#: what names a user as its author: such a user is disabled, never removed
_AUTHORED = tuple(
    f"SELECT COUNT(*) FROM {table} WHERE {column} = ?"
    for table, column in (
        ("mzgis_marker_inspections", "created_by"),
        ("mzgis_segment_checks", "created_by"),
        ("mzgis_reviews", "reviewer"),
        ("mzgis_photos", "uploaded_by"),
        ("mzgis_campaigns", "created_by"),
        ("mzgis_zone_plans", "created_by"),
        ("mzgis_zone_plan_versions", "actor"),
    )
)


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds and ``Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqlPeople:
    """Users, tokens and campaigns of a record store on an SQL connection."""

    #: the backend's query placeholder
    _MARK: ClassVar[str] = "?"
    #: the clause on ``u`` (users) that holds for active users
    _ACTIVE: ClassVar[str] = "u.active = 1"
    #: an expression worth the store's security generation (see ``access_for_token``)
    _GENERATION: ClassVar[str] = (
        "(SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM mzgis_records_meta"
        " WHERE key = 'security_generation')"
    )
    #: the statement that moves the security generation on
    _NEXT_GENERATION: ClassVar[str] = (
        "INSERT INTO mzgis_records_meta (key, value) VALUES ('security_generation', '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )

    def _connection(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _transaction(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _append_audit(
        self, con: Any, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> AuditEntry:
        raise NotImplementedError

    def audit_within(
        self, con: Any, action: str, target: str, detail: dict[str, Any], *, actor: str
    ) -> AuditEntry:
        """Append an entry inside a writing transaction the caller holds on ``con``, a
        connection to this store's own database (a layer write's): both commit or neither."""
        self._join(con)
        return self._append_audit(con, actor, action, target, detail)

    def _join(self, con: Any) -> None:
        """Make another component's transaction on ``con`` fit to append audit entries
        (nothing for SQLite, whose writing transaction already excludes every writer)."""

    def _flag(self, value: bool) -> Any:
        """A boolean as the backend stores it."""
        return int(value)

    def _sql(self, query: str) -> str:
        """``query`` with the backend's placeholder for ``?``."""
        return query if self._MARK == "?" else query.replace("?", self._MARK)

    def _access_changed(self, con: Any) -> None:
        """Move the security generation on, in the transaction of a write that may take
        access away or change what it covers: a grant read before is then refused by
        every write that names it."""
        con.execute(self._NEXT_GENERATION)

    # -- users and tokens --------------------------------------------------------------

    def add_user(self, user: User, *, actor: str) -> User:
        with self._transaction() as con:
            if self._user_row(con, user.username) is not None:
                msg = f"user {user.username!r} already exists / 用户 {user.username!r} 已存在"
                raise ConflictError(msg)
            created = User(
                user.username, user.role, user.display_name, user.password_hash, True, now_iso()
            )
            con.execute(
                self._sql(f"INSERT INTO mzgis_users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"),
                (*created.__dict__.values(),),
            )
            detail = {"role": user.role, "display_name": user.display_name}
            self._append_audit(con, actor, "user.add", f"user:{user.username}", detail)
            return created

    def get_user(self, username: str) -> User:
        with self._connection() as con:
            row = self._user_row(con, username)
        if row is None:
            raise RecordNotFoundError("user", username)
        return to_user(row)

    def list_users(self) -> list[User]:
        with self._connection() as con:
            rows = con.execute(f"SELECT {USER_COLUMNS} FROM mzgis_users ORDER BY username")
            return [to_user(tuple(r)) for r in rows.fetchall()]

    def add_token(
        self, username: str, token_hash: str, *, label: str, expires_at: str, actor: str
    ) -> None:
        with self._transaction() as con:
            if self._user_row(con, username) is None:
                raise RecordNotFoundError("user", username)
            con.execute(
                self._sql("INSERT INTO mzgis_tokens VALUES (?, ?, ?, ?, ?, NULL)"),
                (token_hash, username, label, now_iso(), expires_at),
            )
            detail = {"label": label, "expires_at": expires_at, "token_sha256": token_hash[:12]}
            self._append_audit(con, actor, "token.issue", f"user:{username}", detail)

    def user_for_token(self, token_hash: str, *, now: str) -> User | None:
        columns = ", ".join("u." + c for c in USER_COLUMNS.split(", "))
        with self._connection() as con:
            row = con.execute(
                self._sql(
                    f"SELECT {columns} FROM mzgis_tokens t "
                    "JOIN mzgis_users u ON u.username = t.username "
                    "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? "
                    f"AND {self._ACTIVE}"
                ),
                (token_hash, now),
            ).fetchone()
        return None if row is None else to_user(tuple(row))

    def revoke_tokens(self, username: str, *, actor: str) -> int:
        with self._transaction() as con:
            count = self._revoke(con, username)
            self._access_changed(con)
            detail = {"revoked": count}
            self._append_audit(con, actor, "token.revoke", f"user:{username}", detail)
            return count

    def update_user(
        self,
        username: str,
        *,
        actor: str,
        active: bool | None = None,
        password_hash: str | None = None,
        revoke: bool = False,
    ) -> tuple[User, int]:
        with self._transaction() as con:
            row = self._user_row(con, username)
            if row is None:
                raise RecordNotFoundError("user", username)
            user = to_user(row)
            enabled = user.active if active is None else active
            new_hash = user.password_hash if password_hash is None else password_hash
            con.execute(
                self._sql(
                    "UPDATE mzgis_users SET active = ?, password_hash = ? WHERE username = ?"
                ),
                (self._flag(enabled), new_hash, username),
            )
            revoked = 0
            if revoke or not enabled or password_hash is not None:
                revoked = self._revoke(con, username)
            self._access_changed(con)
            detail = {
                "active": enabled,
                "password_changed": password_hash is not None,
                "tokens_revoked": revoked,
            }
            self._append_audit(con, actor, "user.update", f"user:{username}", detail)
            return to_user(self._user_row(con, username) or row), revoked

    def remove_user(self, username: str, *, actor: str) -> None:
        with self._transaction() as con:
            if self._user_row(con, username) is None:
                raise RecordNotFoundError("user", username)
            authored = sum(
                int(con.execute(self._sql(query), (username,)).fetchone()[0]) for query in _AUTHORED
            )
            if authored:
                msg = (
                    f"user {username!r} is named in {authored} records, reviews, photos,"
                    " campaigns or plans; disable the user instead"
                    f" / 用户 {username!r} 已有 {authored} 条记录、审核、照片、批次或方案，"
                    "请改为停用该用户"
                )
                raise ConflictError(msg)
            for table in ("mzgis_tokens", "mzgis_campaign_members", "mzgis_users"):
                con.execute(self._sql(f"DELETE FROM {table} WHERE username = ?"), (username,))
            self._access_changed(con)
            self._append_audit(con, actor, "user.remove", f"user:{username}", {})

    def _revoke(self, con: Any, username: str) -> int:
        cur = con.execute(
            self._sql(
                "UPDATE mzgis_tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL"
                " RETURNING token_hash"
            ),
            (now_iso(), username),
        )
        return len(cur.fetchall())  # rows read back: a pipelined rowcount is not known yet

    def revoke_token(self, token_hash: str, *, actor: str) -> bool:
        with self._transaction() as con:
            row = con.execute(
                self._sql(
                    "SELECT username FROM mzgis_tokens WHERE token_hash = ? AND revoked_at IS NULL"
                ),
                (token_hash,),
            ).fetchone()
            if row is None:
                return False
            con.execute(
                self._sql("UPDATE mzgis_tokens SET revoked_at = ? WHERE token_hash = ?"),
                (now_iso(), token_hash),
            )
            self._access_changed(con)
            detail = {"revoked": 1, "token_sha256": token_hash[:12]}
            self._append_audit(con, actor, "token.revoke", f"user:{row[0]}", detail)
            return True

    # -- campaigns ---------------------------------------------------------------------

    def add_campaign(self, campaign: Campaign, *, actor: str) -> Campaign:
        with self._transaction() as con:
            if self._campaign_row(con, campaign.campaign_id) is not None:
                cid = campaign.campaign_id
                raise ConflictError(f"campaign {cid!r} already exists / 联检批次 {cid!r} 已存在")
            values = {**campaign.__dict__, "created_by": actor, "created_at": now_iso()}
            values["estimated"] = self._flag(campaign.estimated)
            marks = ", ".join([self._MARK] * len(values))
            con.execute(
                f"INSERT INTO mzgis_campaigns ({CAMPAIGN_COLUMNS}) VALUES ({marks})",
                list(values.values()),
            )
            self._access_changed(con)
            detail = {k: v for k, v in values.items() if k not in ("created_by", "created_at")}
            detail["estimated"] = int(campaign.estimated)  # logged alike by every backend
            target = f"campaign:{campaign.campaign_id}"
            self._append_audit(con, actor, "campaign.add", target, detail)
            return to_campaign(self._campaign_row(con, campaign.campaign_id) or ())

    def get_campaign(self, campaign_id: str) -> Campaign:
        with self._connection() as con:
            row = self._campaign_row(con, campaign_id)
        if row is None:
            raise RecordNotFoundError("campaign", campaign_id)
        return to_campaign(row)

    def list_campaigns(self, *, campaign_ids: tuple[str, ...] | None = None) -> list[Campaign]:
        with self._connection() as con:
            rows = con.execute(
                f"SELECT {CAMPAIGN_COLUMNS} FROM mzgis_campaigns ORDER BY year DESC, campaign_id"
            ).fetchall()
        out = [to_campaign(tuple(r)) for r in rows]
        return out if campaign_ids is None else [c for c in out if c.campaign_id in campaign_ids]

    def add_member(self, campaign_id: str, username: str, *, side: str, actor: str) -> Member:
        if side not in SIDES:
            problem = Problem(None, "side", side, f"must be one of {SIDES} / 必须是 left 或 right")
            raise RecordValidationError("member", [problem])
        with self._transaction() as con:
            self._require_campaign(con, campaign_id)
            if self._user_row(con, username) is None:
                raise RecordNotFoundError("user", username)
            con.execute(
                self._sql(
                    "INSERT INTO mzgis_campaign_members VALUES (?, ?, ?) "
                    "ON CONFLICT (campaign_id, username) DO UPDATE SET side = excluded.side"
                ),
                (campaign_id, username, side),
            )
            self._access_changed(con)
            detail = {"username": username, "side": side}
            self._append_audit(con, actor, "campaign.member", f"campaign:{campaign_id}", detail)
            return Member(campaign_id, username, side)

    def members(self, campaign_id: str) -> list[Member]:
        with self._connection() as con:
            rows = con.execute(
                self._sql(
                    "SELECT campaign_id, username, side FROM mzgis_campaign_members "
                    "WHERE campaign_id = ? ORDER BY side, username"
                ),
                (campaign_id,),
            ).fetchall()
        return [Member(*r) for r in rows]

    def campaigns_of(self, username: str) -> tuple[str, ...]:
        with self._connection() as con:
            rows = con.execute(
                self._sql(
                    "SELECT campaign_id FROM mzgis_campaign_members WHERE username = ? "
                    "ORDER BY campaign_id"
                ),
                (username,),
            ).fetchall()
        return tuple(r[0] for r in rows)

    def _require_campaign(self, con: Any, campaign_id: str) -> None:
        if self._campaign_row(con, campaign_id) is None:
            raise RecordNotFoundError("campaign", campaign_id)

    def _user_row(self, con: Any, username: str) -> tuple[Any, ...] | None:
        query = f"SELECT {USER_COLUMNS} FROM mzgis_users WHERE username = {self._MARK}"
        row = con.execute(query, (username,)).fetchone()
        return None if row is None else tuple(row)

    def _campaign_row(self, con: Any, campaign_id: str) -> tuple[Any, ...] | None:
        query = f"SELECT {CAMPAIGN_COLUMNS} FROM mzgis_campaigns WHERE campaign_id = {self._MARK}"
        row = con.execute(query, (campaign_id,)).fetchone()
        return None if row is None else tuple(row)


def to_user(row: tuple[Any, ...]) -> User:
    username, role, display, password_hash, active, created = row
    return User(username, role, display, password_hash, bool(active), created)


def to_campaign(row: tuple[Any, ...]) -> Campaign:
    cid, line, round_no, year, name, lcode, lname, rcode, rname, by, at, estimated = row
    return Campaign(
        cid, line, round_no, year, name, lcode, lname, rcode, rname, by, at, bool(estimated)
    )
