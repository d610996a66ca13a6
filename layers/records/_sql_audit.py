"""The append-only audit log both record stores share: entries chained by SHA-256, each
appended inside the transaction of the write it describes (see
:class:`~layers.records._sql_store.SqlRecordStore`)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from layers.records._sql_people import SqlPeople, now_iso
from layers.records.audit import entry_hash, verify_chain
from layers.records.models import GENESIS_HASH, AuditCheck, AuditEntry, canonical_json

__all__ = ["SqlAudit"]

_LAST_AUDIT = "SELECT seq, hash FROM mzgis_audit ORDER BY seq DESC LIMIT 1"


class SqlAudit(SqlPeople):
    """The audit log of a record store on SQL tables."""

    #: the ``LIMIT`` value that means "no limit"
    _NO_LIMIT: ClassVar[int | None] = None

    def audit(self, action: str, target: str, detail: dict[str, Any], *, actor: str) -> AuditEntry:
        with self._transaction() as con:
            return self._append_audit(con, actor, action, target, detail)

    def audit_log(self, *, after_seq: int = 0, limit: int | None = None) -> list[AuditEntry]:
        with self._connection() as con:
            rows = con.execute(
                self._sql(
                    "SELECT seq, at, actor, action, target, detail, prev_hash, hash "
                    "FROM mzgis_audit WHERE seq > ? ORDER BY seq LIMIT ?"
                ),
                (after_seq, self._NO_LIMIT if limit is None else limit),
            ).fetchall()
        return [
            AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows
        ]

    def audit_head(self) -> tuple[int, str]:
        with self._connection() as con:
            last = con.execute(_LAST_AUDIT).fetchone()
        return (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)

    def verify_audit(self) -> AuditCheck:
        return verify_chain(self.audit_log())

    def _append_audit(
        self, con: Any, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> AuditEntry:
        last = con.execute(_LAST_AUDIT).fetchone()
        seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS_HASH)
        at = now_iso()
        detail = json.loads(canonical_json(detail))  # exactly what is stored and re-read
        digest = entry_hash(
            prev, seq=seq, at=at, actor=actor, action=action, target=target, detail=detail
        )
        con.execute(
            self._sql("INSERT INTO mzgis_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            (seq, at, actor, action, target, canonical_json(detail), prev, digest),
        )
        return AuditEntry(seq, at, actor, action, target, detail, prev, digest)

    def _queue_audit(
        self, con: Any, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> None:
        """:meth:`_append_audit` where nothing waits for the entry (a backend may send it
        without awaiting its answer)."""
        self._append_audit(con, actor, action, target, detail)
