"""The shared store: layers in a PostgreSQL + PostGIS database, for a department's server.

It behaves as :class:`GeoPackageStore` does: the same catalog (kind, version growing with
every write), the same dtypes on read, the same name rules. Replacing a layer is one
transaction (:mod:`layers.store._pg_tables`): the new table is built under a reserved
temporary name (filled with ``COPY``, GiST-indexed, analysed), then the old table is
dropped and the new one renamed in the same transaction, so readers see the old layer or
the new one and a failed write changes nothing. Writers of one layer queue on an advisory
lock. Bounding-box queries use the GiST index (``&&``) and then test exact intersection
(``ST_Intersects``).

Connections come from a small pool (psycopg 3). The tables live in one PostgreSQL schema
(``mzgis`` unless the URL says ``?schema=...``), created with the catalog on first use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from layers._errors import FeatureNotFoundError, UnknownLayerError
from layers.schema import SCHEMAS, STORE_CRS, get_schema
from layers.store import (
    _artifacts,
    _pg_artifacts,
    _pg_conn,
    _pg_sql,
    _pg_tables,
    _pg_tiles,
    _pg_versions,
    _versions,
)
from layers.store import lineage as _lineage
from layers.store._pg_tables import GEOM
from layers.store.base import ArtifactInfo, BBox, LayerInfo, Lineage, Store, Within, Written
from layers.tiles import DEFAULT_BUFFER, DEFAULT_EXTENT, check_tile

__all__ = ["PostGISStore"]

Con = psycopg.Connection[Any]


class PostGISStore(Store):
    """Layers in a PostGIS database (``postgresql://user:password@host:port/db``).

    Parameters
    ----------
    url
        A libpq URL; an optional ``schema`` query parameter names the PostgreSQL schema
        holding the store (default ``mzgis``).
    pool_size
        Most connections kept open at once.
    versions_kept
        The retention setting of layer versions.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = _pg_conn.POOL_MAX,
        versions_kept: int = _versions.DEFAULT_VERSIONS_KEPT,
    ) -> None:
        self.versions_kept = _versions.check_versions_kept(versions_kept)
        self.conninfo, self.schema = _pg_conn.split_url(url)
        self.url = _pg_conn.redact(url)
        self.pool = _pg_conn.open_pool(self.conninfo, max_size=pool_size)
        try:
            with self.pool.connection() as con:
                _pg_conn.ensure_postgis(con)
                _pg_conn.migrate(con, self.schema, "layers", _pg_sql.LAYER_MIGRATIONS)
        except Exception as exc:
            self.pool.close()
            if not isinstance(exc, psycopg.Error):
                raise
            zh = "无法打开 PostGIS 存储"
            raise _pg_conn.store_error(exc, f"cannot open {self.url}", zh) from exc

    def close(self) -> None:
        self.pool.close()

    def __del__(self) -> None:  # a store dropped without close() gives its connections back
        with contextlib.suppress(Exception):
            self.pool.close()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Con]:
        """A pooled connection; a database failure becomes a :class:`StoreError` (503)."""
        try:
            with self.pool.connection() as con:
                yield con
        except psycopg.Error as exc:
            zh = "PostGIS 存储访问失败"
            raise _pg_conn.store_error(exc, f"PostGIS store {self.url} failed", zh) from exc

    def _t(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    # -- catalog -----------------------------------------------------------------------

    def layers(self) -> list[LayerInfo]:
        with self._connect() as con:
            rows = con.execute(
                sql.SQL("SELECT name FROM {} ORDER BY name").format(self._t("mzgis_layers"))
            ).fetchall()
            out = []
            for (name,) in rows:
                try:
                    out.append(self._info(con, name))
                except UnknownLayerError:  # deleted since the list was read
                    continue
            return out

    def info(self, name: str) -> LayerInfo:
        with self._connect() as con:
            return self._info(con, name)

    def _info(self, con: Con, name: str) -> LayerInfo:
        row = con.execute(
            sql.SQL(
                "SELECT kind, version, updated_at, min_x, min_y, max_x, max_y, geometry_type "
                "FROM {} WHERE name = %s"
            ).format(self._t("mzgis_layers")),
            (name,),
        ).fetchone()
        if row is None:
            raise UnknownLayerError(name, self._names(con))
        kind, version, updated, x0, y0, x1, y1, gtype = row
        count = self._scalar(con, sql.SQL("SELECT COUNT(*) FROM {}").format(self._t(name)), name)
        bbox = None if x0 is None else (x0, y0, x1, y1)
        return LayerInfo(name, kind, count, bbox, gtype, version, updated)

    def _names(self, con: Con) -> list[str]:
        query = sql.SQL("SELECT name FROM {}").format(self._t("mzgis_layers"))
        return [r[0] for r in con.execute(query)]

    def _scalar(self, con: Con, query: sql.Composed, name: str, params: Any = None) -> int:
        """One number from a query on layer ``name`` (unknown when its table is gone)."""
        try:
            with con.transaction():
                row = con.execute(query, params).fetchone()
        except psycopg.errors.UndefinedTable:
            raise UnknownLayerError(name, self._names(con)) from None
        return int(row[0]) if row else 0

    # -- reading -----------------------------------------------------------------------

    def read(
        self,
        name: str,
        *,
        bbox: BBox | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> gpd.GeoDataFrame:
        where, params = self._where(bbox)
        query = sql.SQL("SELECT * FROM {} {} ORDER BY fid LIMIT %s OFFSET %s").format(
            self._t(name), where
        )
        with self._connect() as con:
            kind = self._info(con, name).kind
            return self._frame(con, query, (*params, limit, offset), name, kind)

    def vector_tile(
        self,
        name: str,
        z: int,
        x: int,
        y: int,
        *,
        columns: Sequence[str] = (),
        extent: int = DEFAULT_EXTENT,
        buffer: int = DEFAULT_BUFFER,
    ) -> bytes:
        check_tile(z, x, y)
        with self._connect() as con:
            self._info(con, name)
            return _pg_tiles.tile_query(
                con, self.schema, name, z=z, x=x, y=y, columns=columns, extent=extent, buffer=buffer
            )

    def count(self, name: str, *, bbox: BBox | None = None) -> int:
        if bbox is None:
            return self.info(name).count
        where, params = self._where(bbox)
        query = sql.SQL("SELECT COUNT(*) FROM {} {}").format(self._t(name), where)
        with self._connect() as con:
            self._info(con, name)
            return self._scalar(con, query, name, params)

    def feature(self, name: str, fid: str | int) -> gpd.GeoDataFrame:
        with self._connect() as con:
            return self._feature(con, name, fid)

    def _feature(self, con: Con, name: str, fid: str | int) -> gpd.GeoDataFrame:
        kind = self._info(con, name).kind
        spec = SCHEMAS[kind]
        key = _pg_sql.id_value(fid, spec.get_field(spec.id_field))
        query = sql.SQL("SELECT * FROM {} WHERE {} = %s").format(
            self._t(name), sql.Identifier(spec.id_field)
        )
        frame = None if key is None else self._frame(con, query, (key,), name, kind)
        if frame is None or frame.empty:
            raise FeatureNotFoundError(name, fid)
        return frame

    @staticmethod
    def _where(bbox: BBox | None) -> tuple[sql.Composed, tuple[float, ...]]:
        if bbox is None:
            return sql.Composed([]), ()
        envelope = f"ST_MakeEnvelope(%s, %s, %s, %s, {_pg_sql.SRID})"
        clause = f"WHERE {GEOM} && {envelope} AND ST_Intersects({GEOM}, {envelope})"
        values = tuple(float(v) for v in bbox)
        return sql.Composed([sql.SQL(clause)]), values + values

    def _frame(
        self, con: Con, query: sql.Composed, params: Any, name: str, kind: str
    ) -> gpd.GeoDataFrame:
        try:
            with con.transaction(), con.cursor(binary=True) as cur:
                cur.execute(query, params)
                columns = [d.name for d in cur.description or ()]
                rows = cur.fetchall()
        except psycopg.errors.UndefinedTable:
            raise UnknownLayerError(name, self._names(con)) from None
        raw = pd.DataFrame.from_records(rows, columns=columns)
        data = {c: _pg_sql.from_pg(raw[c], kind, c) for c in columns if c not in ("fid", GEOM)}
        blobs = raw[GEOM].to_numpy() if len(raw) else np.array([], dtype=object)
        geoms = shapely.from_wkb(blobs)
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
        _pg_sql.check_pg_name(name)
        schema = get_schema(kind)
        columns = [c for c in gdf.columns if c != gdf.geometry.name]
        types = [_pg_sql.pg_type(gdf[c], schema.get_field(c)) for c in columns]
        values = [_pg_sql.column_values(gdf[c], t[1]) for c, t in zip(columns, types, strict=True)]
        geoms = gdf.geometry.to_numpy()
        rows = zip(range(1, len(gdf) + 1), _pg_sql.ewkb_hex(geoms), *values, strict=True)
        defs = [(c, t[0]) for c, t in zip(columns, types, strict=True)]
        try:
            with self.pool.connection() as con, con.transaction():
                _pg_conn.advisory_lock(con, self.schema, "layer", name.lower())
                _pg_tables.check_collision(con, self._t, name)
                gtype = _pg_sql.geometry_type_name(geoms)
                id_field = schema.id_field if schema.id_field in columns else None
                self._keep(con, name, expected_version)
                if lineage is not None:
                    _lineage.insert(con, self._statement, lineage)
                _pg_tables.build(con, self._t, name, rows, columns=defs, gtype=gtype,
                                 id_field=id_field)  # fmt: skip
                _pg_tables.drop(con, self._t, name)
                _pg_tables.swap(con, self._t, name)
                _pg_tables.register(con, self._t, name, kind=kind, geoms=geoms, gtype=gtype,
                                    history=(source, len(gdf)), stamp=lineage)  # fmt: skip
                info = self._info(con, name)
                if within is not None:
                    within(Written(con, info, lambda fid: self._feature(con, name, fid)))
                return info
        except (psycopg.Error, TypeError, ValueError) as exc:
            zh = f"图层 {name!r} 写入失败，原有数据未改动"
            raise _pg_conn.store_error(exc, f"cannot write layer {name!r}", zh) from exc

    def delete(self, name: str) -> None:
        with self._connect() as con, con.transaction():
            _pg_conn.advisory_lock(con, self.schema, "layer", name.lower())
            self._info(con, name)
            self._keep(con, name, None)
            _pg_tables.drop(con, self._t, name)

    # -- versions: see layers/store/_versions.py -----------------------------------------

    def _keep(self, con: Con, name: str, expected: int | None) -> None:
        query = sql.SQL("SELECT * FROM {} ORDER BY fid").format(self._t(name))
        kept, read = self.versions_kept, lambda kind: self._frame(con, query, (), name, kind)
        _pg_versions.keep(con, self._t, name, expected=expected, versions_kept=kept, read=read)

    def _statement(self, key: str) -> sql.Composed:
        return _pg_versions.statement(key, self._t)

    def _reading(self) -> contextlib.AbstractContextManager[Con]:
        return self._connect()

    @contextlib.contextmanager
    def _writing(self, name: str) -> Iterator[Con]:
        with self._connect() as con, con.transaction():
            _pg_conn.advisory_lock(con, self.schema, "layer", name.lower())
            yield con

    # -- artifacts: derived bytes, see layers/store/_artifacts.py -------------------------

    def put_artifact(self, name: str, data: bytes, *, key: str) -> ArtifactInfo:
        _artifacts.check(name, key)
        with self._connect() as con, con.transaction():
            _pg_conn.advisory_lock(con, self.schema, "artifact", name)
            return _pg_artifacts.put(con, self._t(_artifacts.TABLE), name, data, key=key)

    def get_artifact(self, name: str, *, key: str) -> bytes | None:
        _artifacts.check(name, key)
        with self._connect() as con:
            return _pg_artifacts.get(con, self._t(_artifacts.TABLE), name, key=key)

    def artifacts(self) -> list[ArtifactInfo]:
        with self._connect() as con:
            return _pg_artifacts.listing(con, self._t(_artifacts.TABLE))
