"""What a bearer token grants, read in one statement with the store's security generation
(both record stores): the reads behind a cache of grants that can never outlive a
revocation.

Every write that may take access away or change what it covers moves the generation on in
its own transaction (:meth:`~layers.records._sql_people.SqlPeople._access_changed`). A
grant is read together with the generation, in one statement (one snapshot), and a write
made on a cached grant names that generation: the store checks it in the write's
transaction, under the write lock that every such change also takes, and refuses the write
when it moved (:class:`~layers.records.errors.AccessChangedError`).
"""

from __future__ import annotations

import json
from typing import ClassVar

from layers.records._sql_people import (
    CAMPAIGN_COLUMNS,
    USER_COLUMNS,
    SqlPeople,
    to_campaign,
    to_user,
)
from layers.records.models import Access, Campaign

__all__ = ["SqlAccess"]

_USER = ", ".join("u." + c for c in USER_COLUMNS.split(", "))
_CAMPAIGN = ", ".join("c." + c for c in CAMPAIGN_COLUMNS.split(", "))


class SqlAccess(SqlPeople):
    """Grants of tokens and campaign rows, each with the security generation."""

    #: an expression worth the JSON array (text) of the campaign ids of user ``u``
    _MEMBER_IDS: ClassVar[str] = (
        "(SELECT json_group_array(campaign_id) FROM (SELECT m.campaign_id "
        "FROM mzgis_campaign_members m WHERE m.username = u.username ORDER BY m.campaign_id))"
    )

    def access_for_token(self, token_hash: str, *, now: str) -> Access | None:
        query = (
            f"SELECT {_USER}, t.expires_at, {self._GENERATION}, {self._MEMBER_IDS} "
            "FROM mzgis_tokens t JOIN mzgis_users u ON u.username = t.username "
            "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? "
            f"AND {self._ACTIVE}"
        )
        with self._connection() as con:
            row = con.execute(self._sql(query), (token_hash, now)).fetchone()
        if row is None:
            return None
        *user, expires_at, generation, members = tuple(row)
        campaign_ids = tuple(json.loads(members) if members else ())
        return Access(to_user(tuple(user)), campaign_ids, str(expires_at), int(generation))

    def campaign_at(self, campaign_id: str) -> tuple[Campaign | None, int]:
        query = (
            f"SELECT {self._GENERATION}, {_CAMPAIGN} FROM (SELECT 1 AS one) AS one "
            "LEFT JOIN mzgis_campaigns c ON c.campaign_id = ?"
        )
        with self._connection() as con:
            generation, *row = tuple(con.execute(self._sql(query), (campaign_id,)).fetchone())
        return (None if row[0] is None else to_campaign(tuple(row))), int(generation)
