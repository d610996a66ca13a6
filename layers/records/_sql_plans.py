"""Responsibility-zone plans (责任片区方案) in a record store: the logic both backends
share, on two tables.

``mzgis_zone_plans`` holds one row per plan with its current version; every version
(the first one included) is a row of ``mzgis_zone_plan_versions`` that is never changed, so
a plan's whole history can be read back. An edit is a compare-and-swap on the version: in
one writing transaction the head row moves from ``based_on`` to ``based_on + 1`` only if it
is still at ``based_on`` (and the version row's primary key could not take the same version
twice), and its audit entry is appended in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from layers._errors import ConflictError, PreconditionFailedError, Problem
from layers.records._plan_rows import (
    HEAD_COLUMNS,
    VERSION_COLUMNS,
    changed_units,
    encode_assignment,
    to_summary,
    to_version,
)
from layers.records._sql_people import SqlPeople, now_iso
from layers.records.errors import RecordNotFoundError, RecordValidationError
from layers.records.models import (
    ZonePlanSummary,
    ZonePlanVersion,
    canonical_json,
    sha256_hex,
)

__all__ = ["SqlZonePlans"]

_HEAD = ", ".join(HEAD_COLUMNS)
_VERSION = ", ".join(VERSION_COLUMNS)
_SUMMARY = (
    "SELECT p.plan_id, v.version, p.created_by, p.created_at, v.actor, v.at, v.summary, "
    "v.changed FROM mzgis_zone_plans p JOIN mzgis_zone_plan_versions v ON v.plan_id = p.plan_id"
)


def _checked(
    plan_id: str, assignment: Mapping[str, str | None], locked: Sequence[str]
) -> tuple[dict[str, str | None], list[str]]:
    """The assignment and locks as text ids, after the store's own rules."""
    problems: list[Problem] = []
    try:
        uuid.UUID(plan_id)
    except ValueError:
        problems.append(Problem(None, "plan_id", plan_id, "must be a UUID / 应为 UUID"))
    table = {str(u): None if s is None else str(s) for u, s in assignment.items()}
    if not table:
        problems.append(Problem(None, "assignment", 0, "has no units / 没有单元"))
    held = sorted({str(u) for u in locked})
    strays = [u for u in held if u not in table]
    if strays:
        reason = "locked units missing from the assignment / 锁定单元不在分配表中"
        problems.append(Problem(None, "locked", strays[:20], reason))
    if problems:
        raise RecordValidationError("zone plan", problems)
    return table, held


class SqlZonePlans(SqlPeople):
    """Zone plans and their versions on SQL tables (see the module docstring)."""

    #: the ``LIMIT`` value that means "no limit"
    _NO_LIMIT: ClassVar[int | None] = None

    def create_plan(
        self,
        *,
        plan_id: str,
        request: dict[str, Any],
        assignment: Mapping[str, str | None],
        locked: Sequence[str] = (),
        info: dict[str, Any] | None = None,
        notes: Sequence[str] = (),
        inputs: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
        actor: str,
    ) -> ZonePlanVersion:
        table, held = _checked(plan_id, assignment, locked)
        with self._transaction() as con:
            if self._plan_head(con, plan_id) is not None:
                msg = f"zone plan {plan_id} already exists / 责任片区方案 {plan_id} 已存在"
                raise ConflictError(msg)
            now = now_iso()
            head = (plan_id, 1, canonical_json(request), actor, now, actor, now)
            marks = ", ".join([self._MARK] * len(HEAD_COLUMNS))
            con.execute(f"INSERT INTO mzgis_zone_plans ({_HEAD}) VALUES ({marks})", head)
            text = self._insert_version(
                con, plan_id=plan_id, version=1, table=table, held=held, info=info,
                notes=notes, inputs=inputs, summary=summary, changed=(), actor=actor, at=now,
            )  # fmt: skip
            detail = {
                "version": 1,
                "request": request,
                "units": len(table),
                "assigned": sum(s is not None for s in table.values()),
                "locked": held,
                "inputs": inputs or {},
                "assignment_sha256": sha256_hex(text),
            }
            self._append_audit(con, actor, "zone_plan.create", f"zone_plan:{plan_id}", detail)
            return self._load_plan(con, plan_id, 1)

    def get_plan(self, plan_id: str, *, version: int | None = None) -> ZonePlanVersion:
        with self._connection() as con:
            return self._load_plan(con, plan_id, version)

    def list_plans(
        self, *, limit: int | None = None, offset: int = 0, analysis: str = "zones"
    ) -> list[ZonePlanSummary]:
        # the canonical JSON of another analysis' request starts with its "analysis" key
        # (its other keys must sort after it); a zones request has no such key
        if analysis == "zones":
            which, pattern = "NOT LIKE", '{"analysis":%'
        else:
            which, pattern = "LIKE", '{"analysis":' + canonical_json(analysis) + ",%"
        query = (
            f"{_SUMMARY} AND v.version = p.version WHERE p.request {which} ? "
            "ORDER BY p.created_at DESC, p.plan_id LIMIT ? OFFSET ?"
        )
        with self._connection() as con:
            rows = con.execute(
                self._sql(query), (pattern, self._NO_LIMIT if limit is None else limit, offset)
            ).fetchall()
        return [to_summary(tuple(r)) for r in rows]

    def plan_history(self, plan_id: str) -> list[ZonePlanSummary]:
        query = f"{_SUMMARY} WHERE p.plan_id = ? ORDER BY v.version"
        with self._connection() as con:
            rows = con.execute(self._sql(query), (plan_id,)).fetchall()
        if not rows:
            raise RecordNotFoundError("zone plan", plan_id)
        return [to_summary(tuple(r)) for r in rows]

    def save_plan_version(
        self,
        plan_id: str,
        *,
        based_on: int,
        assignment: Mapping[str, str | None],
        locked: Sequence[str] = (),
        info: dict[str, Any] | None = None,
        notes: Sequence[str] = (),
        inputs: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
        actor: str,
    ) -> ZonePlanVersion:
        table, held = _checked(plan_id, assignment, locked)
        with self._transaction() as con:
            before = self._load_plan(con, plan_id, None)
            if before.version != based_on:
                raise _stale(plan_id, based_on, before.version)
            version, now = based_on + 1, now_iso()
            cur = con.execute(
                self._sql(
                    "UPDATE mzgis_zone_plans SET version = ?, updated_by = ?, updated_at = ? "
                    "WHERE plan_id = ? AND version = ? RETURNING plan_id"
                ),
                (version, actor, now, plan_id, based_on),
            )
            if len(cur.fetchall()) != 1:  # cannot happen while writers queue; kept as the CAS
                raise _stale(plan_id, based_on, version)
            changed = changed_units(before.assignment, table)
            text = self._insert_version(
                con, plan_id=plan_id, version=version, table=table, held=held, info=info,
                notes=notes, inputs=inputs, summary=summary, changed=changed, actor=actor,
                at=now,
            )  # fmt: skip
            detail = {
                "version": version,
                "based_on": based_on,
                "changed": list(changed),
                "locked": sorted(set(held) - set(before.locked)),
                "unlocked": sorted(set(before.locked) - set(held)),
                "inputs": inputs or {},
                "assignment_sha256": sha256_hex(text),
            }
            self._append_audit(con, actor, "zone_plan.edit", f"zone_plan:{plan_id}", detail)
            return self._load_plan(con, plan_id, version)

    # -- rows --------------------------------------------------------------------------

    def _insert_version(
        self,
        con: Any,
        *,
        plan_id: str,
        version: int,
        table: dict[str, str | None],
        held: list[str],
        info: dict[str, Any] | None,
        notes: Sequence[str],
        inputs: dict[str, Any] | None,
        summary: dict[str, Any] | None,
        changed: Sequence[str],
        actor: str,
        at: str,
    ) -> str:
        """Insert one version row; returns the stored text of its assignment."""
        text = encode_assignment(table)
        values = (
            plan_id, version, text, canonical_json(held), canonical_json(info),
            canonical_json(list(notes)), canonical_json(inputs or {}),
            canonical_json(summary or {}), canonical_json(list(changed)), actor, at,
        )  # fmt: skip
        marks = ", ".join([self._MARK] * len(VERSION_COLUMNS))
        con.execute(f"INSERT INTO mzgis_zone_plan_versions ({_VERSION}) VALUES ({marks})", values)
        return text

    def _plan_head(self, con: Any, plan_id: str) -> tuple[Any, ...] | None:
        row = con.execute(
            self._sql(f"SELECT {_HEAD} FROM mzgis_zone_plans WHERE plan_id = ?"), (plan_id,)
        ).fetchone()
        return None if row is None else tuple(row)

    def _load_plan(self, con: Any, plan_id: str, version: int | None) -> ZonePlanVersion:
        head = self._plan_head(con, plan_id)
        if head is None:
            raise RecordNotFoundError("zone plan", plan_id)
        wanted = int(head[1]) if version is None else int(version)
        row = con.execute(
            self._sql(
                f"SELECT {_VERSION} FROM mzgis_zone_plan_versions WHERE plan_id = ? AND version = ?"
            ),
            (plan_id, wanted),
        ).fetchone()
        if row is None:
            raise RecordNotFoundError("zone plan version", f"{plan_id} v{wanted}")
        return to_version(head, tuple(row))


def _stale(plan_id: str, based_on: int, current: int) -> PreconditionFailedError:
    msg = (
        f"zone plan {plan_id} is at version {current}, the edit was based on version"
        f" {based_on}; reload and edit again / 责任片区方案当前为版本 {current}，编辑基于版本"
        f" {based_on}，请重新加载后再编辑"
    )
    return PreconditionFailedError(msg)
