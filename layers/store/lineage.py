"""A layer's lineage: its whole version history as a copy carries it between stores.

The lineage of layer ``name`` is every row of ``mzgis_layers_history`` for it (kind,
version, time, source, count), the kept data of its replaced versions
(``mzgis_layer_versions``, see :mod:`layers.store._versions`) and the version and time of
its current data (none for a deleted layer). A copy, a backup of a PostGIS store and its
restore write a layer together with its lineage in one transaction
(``Store.write(..., lineage=)``), so the target's history, versions and retention are
those of the source: ``mzgis layers history`` shows the same lines and ``mzgis layers
restore`` brings back the same data.

:meth:`Lineage.digest` is what a copy is verified against: a SHA-256 over the history
rows, the current version and the SHA-256 of every kept version's bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from layers._errors import ConflictError, StoreError

__all__ = ["SQL", "Lineage", "Statement", "check_kept_data", "insert", "read", "refuse_mixed"]

#: statements both backends run (``{versions}``, ``{history}``, ``{layers}``: the tables;
#: ``%s``: values), beside those of :data:`layers.store._versions.SQL`
SQL = {
    "lineage_history": (
        "SELECT kind, version, updated_at, source, row_count FROM {history}"
        " WHERE name = %s ORDER BY version"
    ),
    "lineage_kept": "SELECT version, kind, data FROM {versions} WHERE name = %s ORDER BY version",
    "lineage_current": "SELECT version, updated_at FROM {layers} WHERE name = %s",
    "lineage_names": "SELECT DISTINCT name FROM {history} ORDER BY name",
    "has_history": "SELECT COUNT(*) FROM {history} WHERE name = %s",
}

History = tuple[str, int, str, str, int | None]
#: a backend's statement of :data:`SQL` or :data:`layers.store._versions.SQL` by key
Statement = Callable[[str], Any]
Kept = tuple[int, str, bytes]


@dataclass(frozen=True)
class Lineage:
    """The version history of one layer.

    ``history``: ``(kind, version, updated_at, source, row_count)`` per version, oldest
    first; ``kept``: ``(version, kind, data)`` per replaced version whose data is kept;
    ``current``: ``(version, updated_at)`` of the layer's current data, ``None`` when the
    layer was deleted.
    """

    name: str
    history: tuple[History, ...]
    kept: tuple[Kept, ...]
    current: tuple[int, str] | None

    @classmethod
    def from_rows(
        cls,
        name: str,
        history: list[tuple[Any, ...]],
        kept: list[tuple[Any, ...]],
        current: tuple[Any, ...] | None,
    ) -> Lineage:
        """A lineage from the rows of :data:`SQL` (either backend's values)."""
        return cls(
            name,
            tuple(
                (str(k), int(v), str(at), str(src or ""), None if n is None else int(n))
                for k, v, at, src, n in history
            ),
            tuple((int(v), str(k), bytes(data)) for v, k, data in kept),
            None if current is None else (int(current[0]), str(current[1])),
        )

    def digest(self) -> str:
        """SHA-256 (hex) of the history rows, the current version and every kept version's
        bytes: equal in two stores exactly when the lineage was carried whole."""
        kept = [[v, k, hashlib.sha256(data).hexdigest()] for v, k, data in self.kept]
        text = json.dumps(
            [self.name, [list(h) for h in self.history], kept, self.current],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_kept_data(name: str, version: int, data: bytes) -> None:
    """Refuse kept data that does not decompress: zlib's Adler-32 checksum covers every
    byte of the encoded frame, so a damaged copy of a version fails here."""
    try:
        zlib.decompress(data)
    except zlib.error as exc:
        msg = (
            f"the kept data of version {version} of layer {name!r} is damaged ({exc})"
            f" / 图层 {name!r} 版本 {version} 的保留数据已损坏"
        )
        raise StoreError(msg) from exc


def read(con: Any, statement: Statement, name: str) -> Lineage:
    """The lineage of layer ``name`` read on ``con`` (one snapshot when ``con`` is in a
    transaction)."""
    history = con.execute(statement("lineage_history"), (name,)).fetchall()
    kept = con.execute(statement("lineage_kept"), (name,)).fetchall()
    current = con.execute(statement("lineage_current"), (name,)).fetchone()
    return Lineage.from_rows(name, history, kept, current)


def insert(con: Any, statement: Statement, lineage: Lineage) -> None:
    """Write the history rows and kept data of ``lineage`` on ``con`` (inside the caller's
    transaction); refused when the store holds any history of the layer."""
    name = lineage.name
    (rows,) = con.execute(statement("has_history"), (name,)).fetchone()
    refuse_mixed(name, int(rows))
    for version, _, data in lineage.kept:
        check_kept_data(name, version, data)
    with contextlib.closing(con.cursor()) as cur:
        cur.executemany(statement("record"), [(name, *row) for row in lineage.history])
        cur.executemany(statement("keep"), [(name, *row) for row in lineage.kept])


def refuse_mixed(name: str, rows: int) -> None:
    """A lineage is written only where the store holds no history of ``name``."""
    if rows:
        msg = (
            f"the store already holds a history of layer {name!r}; a copied history is"
            f" written only where there is none / 目标存储已有图层 {name!r} 的版本历史，"
            "复制的历史只能写入没有历史的图层"
        )
        raise ConflictError(msg)
