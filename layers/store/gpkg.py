"""The embedded store: one GeoPackage file (SQLite) that QGIS and GDAL open as it is.

mzgis writes the GeoPackage tables itself (:mod:`layers.store._gpkg_tables`), so that
replacing a layer (drop, create, fill, index, register) is a single SQLite transaction:
readers see the old layer or the new one, and a failed write leaves the file as it was.
The file runs in WAL mode so readers never wait for a writer.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers._errors import FeatureNotFoundError, StoreError, UnknownLayerError
from layers.schema import SCHEMAS, STORE_CRS, get_schema
from layers.store import _artifacts, _blob, _sql, _versions
from layers.store import _gpkg_tables as _tables
from layers.store import lineage as _lineage
from layers.store._gpkg_tables import GEOM, SRS_ID
from layers.store._sql import quote
from layers.store.base import ArtifactInfo, BBox, LayerInfo, Lineage, Store, Within, Written

__all__ = ["GeoPackageStore"]

BUSY_TIMEOUT_MS = 30_000


class GeoPackageStore(Store):
    """Layers in one GeoPackage file, created on first use; ``versions_kept`` is the
    retention setting of layer versions."""

    def __init__(
        self, path: str | Path, *, versions_kept: int = _versions.DEFAULT_VERSIONS_KEPT
    ) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self.versions_kept = _versions.check_versions_kept(versions_kept)
        if not self.path.exists():
            self._create()
        else:
            self._check_is_geopackage()

    # -- connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection with the SQL functions the R-tree triggers need (autocommit mode:
        callers open transactions with :meth:`transaction`)."""
        try:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open GeoPackage {self.path}: {exc}") from exc
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            for name, fn in _blob.SQL_FUNCTIONS.items():
                con.create_function(name, 1, fn, deterministic=True)
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception."""
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".creating")
        tmp.unlink(missing_ok=True)
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.execute(f"PRAGMA application_id = {_sql.APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {_sql.USER_VERSION}")
            con.executescript(_sql.CORE_TABLES + _sql.MZGIS_TABLES)
            con.executemany(
                "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", _sql.srs_rows()
            )
            con.execute("PRAGMA journal_mode = WAL")
        finally:
            con.close()
        tmp.replace(self.path)

    def _check_is_geopackage(self) -> None:
        try:
            with self.connect() as con:
                (app,) = con.execute("PRAGMA application_id").fetchone()
                if app != _sql.APPLICATION_ID:
                    msg = f"{self.path} is not a GeoPackage (application_id {app:#x})"
                    raise StoreError(msg)
                _sql.upgrade_mzgis_tables(con)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a GeoPackage: {exc}") from exc

    # -- catalog -----------------------------------------------------------------------

    def layers(self) -> list[LayerInfo]:
        with self.connect() as con:
            names = [r[0] for r in con.execute("SELECT name FROM mzgis_layers ORDER BY name")]
            return [self._info(con, n) for n in names]

    def info(self, name: str) -> LayerInfo:
        with self.connect() as con:
            return self._info(con, name)

    def _info(self, con: sqlite3.Connection, name: str) -> LayerInfo:
        row = con.execute(
            "SELECT l.kind, l.version, l.updated_at, c.min_x, c.min_y, c.max_x, c.max_y, "
            "g.geometry_type_name FROM mzgis_layers l "
            "JOIN gpkg_contents c ON c.table_name = l.name "
            "JOIN gpkg_geometry_columns g ON g.table_name = l.name WHERE l.name = ?",
            (name,),
        ).fetchone()
        if row is None:
            known = [r[0] for r in con.execute("SELECT name FROM mzgis_layers")]
            raise UnknownLayerError(name, known)
        kind, version, updated, x0, y0, x1, y1, gtype = row
        (count,) = con.execute(f"SELECT COUNT(*) FROM {quote(name)}").fetchone()
        bbox = None if x0 is None else (x0, y0, x1, y1)
        return LayerInfo(name, kind, count, bbox, gtype, version, updated)

    # -- reading -----------------------------------------------------------------------

    def read(
        self,
        name: str,
        *,
        bbox: BBox | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> gpd.GeoDataFrame:
        with self.connect() as con:
            kind = self._info(con, name).kind
            if bbox is None:
                sql = f"SELECT * FROM {quote(name)} ORDER BY fid LIMIT ? OFFSET ?"
                cur = con.execute(sql, (-1 if limit is None else limit, offset))
                return self._frame(cur, kind)
            frame = self._frame(self._bbox_cursor(con, name, bbox), kind)
        hit = frame.geometry.intersects(shapely.box(*bbox)).to_numpy()
        frame = frame[hit]
        stop = None if limit is None else offset + limit
        return frame.iloc[offset:stop].reset_index(drop=True)

    def count(self, name: str, *, bbox: BBox | None = None) -> int:
        if bbox is None:
            return self.info(name).count
        with self.connect() as con:
            self._info(con, name)
            cur = self._bbox_cursor(con, name, bbox, columns=f"t.{GEOM}")
            blobs = [r[0] for r in cur]
        geoms = _blob.decode(blobs)
        return int(shapely.intersects(geoms, shapely.box(*bbox)).sum())

    def feature(self, name: str, fid: str | int) -> gpd.GeoDataFrame:
        with self.connect() as con:
            return self._feature(con, name, fid)

    def _feature(self, con: sqlite3.Connection, name: str, fid: str | int) -> gpd.GeoDataFrame:
        kind = self._info(con, name).kind
        id_field = SCHEMAS[kind].id_field
        cur = con.execute(f"SELECT * FROM {quote(name)} WHERE {quote(id_field)} = ?", (fid,))
        frame = self._frame(cur, kind)
        if frame.empty:
            raise FeatureNotFoundError(name, fid)
        return frame

    def _bbox_cursor(
        self, con: sqlite3.Connection, name: str, bbox: BBox, columns: str = "t.*"
    ) -> sqlite3.Cursor:
        x0, y0, x1, y1 = bbox
        rtree = quote(f"rtree_{name}_{GEOM}")
        sql = (
            f"SELECT {columns} FROM {quote(name)} t WHERE t.fid IN (SELECT id FROM {rtree} "
            "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?) ORDER BY t.fid"
        )
        return con.execute(sql, (x1, x0, y1, y0))

    def _frame(self, cur: sqlite3.Cursor, kind: str) -> gpd.GeoDataFrame:
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
        raw = pd.DataFrame.from_records(rows, columns=columns)
        data = {c: _sql.from_sql(raw[c], kind, c) for c in columns if c not in ("fid", GEOM)}
        geoms = _blob.decode(raw[GEOM].tolist()) if len(raw) else np.array([], dtype=object)
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=STORE_CRS), crs=STORE_CRS)

    # -- writing -----------------------------------------------------------------------

    def write(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str,
        source: str = "",
        expected_version: int | None = None,
        lineage: Lineage | None = None,
        within: Within | None = None,
    ) -> LayerInfo:
        _tables.check_name(name)
        schema = get_schema(kind)
        columns = [c for c in gdf.columns if c != gdf.geometry.name]
        types = [_sql.sql_type(gdf[c], schema.get_field(c)) for c in columns]
        geoms = gdf.geometry.to_numpy()
        blobs = _blob.encode(geoms, SRS_ID)
        values = (_sql.to_sql(gdf[c], t) for c, t in zip(columns, types, strict=True))
        rows = zip(blobs, *values, strict=True)
        try:
            with self.transaction() as con:
                _tables.check_collision(con, name)
                self._keep(con, name, expected_version)
                if lineage is not None:
                    _lineage.insert(con, self._statement, lineage)
                _tables.drop(con, name)
                gtype = _sql.geometry_type_name(geoms)
                id_field = schema.id_field if schema.id_field in columns else None
                defs = list(zip(columns, types, strict=True))
                _tables.create(con, name, rows, columns=defs, gtype=gtype, id_field=id_field)
                _tables.register(con, name, geoms=geoms, gtype=gtype, title=schema.zh)
                self._record(con, name, kind=kind, source=source, count=len(gdf), stamp=lineage)
                info = self._info(con, name)
                if within is not None:
                    within(Written(con, info, lambda fid: self._feature(con, name, fid)))
                return info
        except sqlite3.Error as exc:
            msg = f"cannot write layer {name!r}: {exc} / 图层 {name!r} 写入失败，原有数据未改动"
            raise StoreError(msg) from exc

    def delete(self, name: str) -> None:
        with self.transaction() as con:
            self._info(con, name)
            self._keep(con, name, None)
            _tables.drop(con, name)

    # -- versions: see layers/store/_versions.py -----------------------------------------

    def _statement(self, key: str) -> str:
        text = {**_versions.SQL, **_lineage.SQL}[key].format(
            versions=_versions.VERSIONS_TABLE, history="mzgis_layers_history", layers="mzgis_layers"
        )
        return text.replace("%s", "?")

    def _reading(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.connect()

    def _writing(self, name: str) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.transaction()  # SQLite's write lock serialises every writer

    def _keep(self, con: sqlite3.Connection, name: str, expected: int | None) -> None:
        """Keep the current data of layer ``name`` as its version (none when absent),
        after checking it is the ``expected`` version."""
        row = con.execute("SELECT kind, version FROM mzgis_layers WHERE name = ?", (name,))
        found = row.fetchone()
        _versions.check_expected(name, expected, 0 if found is None else found[1])
        if found is None:
            return
        kind, version = found
        frame = self._frame(con.execute(f"SELECT * FROM {quote(name)} ORDER BY fid"), kind)
        con.execute(self._statement("keep"), (name, version, kind, _versions.encode(frame)))
        con.execute(self._statement("prune"), (name, name, self.versions_kept))

    def _record(
        self,
        con: sqlite3.Connection,
        name: str,
        *,
        kind: str,
        source: str,
        count: int,
        stamp: Lineage | None,
    ) -> None:
        """Catalog the new version and add its history row (a copied lineage brings its
        version, time and history rows instead)."""
        if stamp is not None and stamp.current is not None:
            version, now = stamp.current
        else:
            (version,) = con.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM mzgis_layers_history WHERE name = ?",
                (name,),
            ).fetchone()
            now = _sql.now()
            con.execute(self._statement("record"), (name, kind, version, now, source, count))
        con.execute("INSERT INTO mzgis_layers VALUES (?, ?, ?, ?)", (name, kind, version, now))

    # -- artifacts: derived bytes, see layers/store/_artifacts.py -------------------------

    def put_artifact(self, name: str, data: bytes, *, key: str) -> ArtifactInfo:
        try:
            with self.transaction() as con:
                return _artifacts.gpkg_put(con, name, data, key=key)
        except sqlite3.Error as exc:
            msg = f"cannot write artifact {name!r}: {exc} / 派生数据 {name!r} 写入失败"
            raise StoreError(msg) from exc

    def get_artifact(self, name: str, *, key: str) -> bytes | None:
        with self.connect() as con:
            return _artifacts.gpkg_get(con, name, key=key)

    def artifacts(self) -> list[ArtifactInfo]:
        with self.connect() as con:
            return _artifacts.gpkg_list(con)
