"""A small inspection world built by hand for the inspection tests (no demo needed): two
boundary lines with markers, one campaign, a user of every role, helpers to submit, and a
snapshot of everything a store holds, read alike from a GeoPackage and from PostGIS.

Line 0001 runs 2 km east along 39.90°N from 116.38°E, then 1 km north; its markers are
every 500 m of that path (sequence 1-7, σ = 0.2 m). Line 0002 lies 10 km away.
"""

from __future__ import annotations

import functools
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import shapely
from fastapi import FastAPI
from pyproj import Transformer

from bench.field_world import staff_campaign
from layers.records import KINDS, Campaign, RecordFilter, RecordStore, open_record_store
from layers.store import GeoPackageStore, Store, is_postgis_url, open_store

GK = "EPSG:4548"  # CGCS2000 3-degree Gauss-Krüger, CM 117°E
ORIGIN_LONLAT = (116.38, 39.90)
ROLES = ("admin", "planner", "inspector", "viewer")
CAMPAIGN = "2025-0001"
#: marker 0001003B is 1000 m along line 0001, at this many metres east of the origin
SIGMA_M = 0.2


@functools.cache
def _to_lonlat() -> Transformer:
    return Transformer.from_crs(GK, 4326, always_xy=True)


@functools.cache
def origin_xy() -> tuple[float, float]:
    x, y = Transformer.from_crs(4326, GK, always_xy=True).transform(*ORIGIN_LONLAT)
    return float(x), float(y)


def lonlat_at(dx_m: float, dy_m: float) -> tuple[float, float]:
    """The lon/lat of a point ``dx_m`` east and ``dy_m`` north of the origin (in GK)."""
    x0, y0 = origin_xy()
    lon, lat = _to_lonlat().transform(x0 + dx_m, y0 + dy_m)
    return float(lon), float(lat)


def _line(points_m: list[tuple[float, float]]) -> shapely.LineString:
    return shapely.LineString([lonlat_at(dx, dy) for dx, dy in points_m])


LINE_0001_M = [(0.0, 0.0), (2000.0, 0.0), (2000.0, 1000.0)]
#: chainage (m) of each marker of line 0001
MARKER_CHAINAGE_M = [0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0]
MARKERS_0001 = ["0001001Q", "0001002A", "0001003B", "0001004A", "0001005C", "0001006A", "0001007Q"]


def marker_offset_m(chainage_m: float) -> tuple[float, float]:
    """Offset from the origin of the point ``chainage_m`` along line 0001."""
    return (chainage_m, 0.0) if chainage_m <= 2000 else (2000.0, chainage_m - 2000.0)


def write_layers(store: Store) -> None:
    """Line 0001 (with 7 markers) and line 0002 (with 2), in ``store``."""
    lines = gpd.GeoDataFrame(
        {
            "line_code": ["0001", "0002"],
            "name": ["东城区—西城区界线", "西城区—丰台区界线"],
            "left_code": ["110101", "110102"],
            "left_name": ["东城区", "西城区"],
            "right_code": ["110102", "110106"],
            "right_name": ["西城区", "丰台区"],
            "length_m": [3000.0, 1000.0],
        },
        geometry=[_line(LINE_0001_M), _line([(0.0, -10_000.0), (1000.0, -10_000.0)])],
        crs=4326,
    )
    store.write("boundary_lines", lines, kind="boundary_lines")
    points = [lonlat_at(*marker_offset_m(c)) for c in MARKER_CHAINAGE_M]
    points += [lonlat_at(0.0, -10_000.0), lonlat_at(1000.0, -10_000.0)]
    numbers = [*MARKERS_0001, "0002001A", "0002002A"]
    refs = [
        {"name": n, "bearing_deg": 90.0, "distance_m": 10.0} for n in ("路灯杆", "井盖", "行道树")
    ]
    markers = gpd.GeoDataFrame(
        {
            "marker_no": numbers,
            "line_code": [n[:4] for n in numbers],
            "sequence": [int(n[4:7]) for n in numbers],
            "marker_type": [n[7] for n in numbers],
            "sigma_m": np.full(len(numbers), SIGMA_M),
            "reference_objects": [refs] * len(numbers),
        },
        geometry=[shapely.Point(p) for p in points],
        crs=4326,
    )
    store.write("markers", markers, kind="markers")


@dataclass
class Kit:
    """The world of a test: store location, record store, tokens by username; close it
    (or use it as a context manager) to give its connections back."""

    location: str
    records: RecordStore
    tokens: dict[str, str]
    _reader: StoreReader | None = None

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def snapshot(self) -> dict[str, Any]:
        """:func:`store_snapshot` of this world's store."""
        if self._reader is None:
            self._reader = StoreReader(self.location)
        return store_snapshot(self.records, self._reader)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self.records.close()

    def __enter__(self) -> Kit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: username → (role, campaign side or None)
USERS = {
    "admin": ("admin", None),
    "planner": ("planner", None),
    "insp_left": ("inspector", "left"),
    "insp_right": ("inspector", "right"),
    "outsider": ("inspector", None),
    "viewer": ("viewer", None),
}
PASSWORD = "correct horse battery"


def build_kit(location: str | Path) -> Kit:
    """Layers, users (one token each) and campaign 2025-0001 on line 0001, in the new store
    at ``location`` (a ``.gpkg`` path or a PostGIS URL); close the kit after use."""
    location = str(location)
    store = open_store(location)
    try:
        write_layers(store)
    finally:
        store.close()
    records = open_record_store(location)
    campaign = Campaign(
        CAMPAIGN,
        "0001",
        1,
        2025,
        "2025年东城区—西城区界线联检",
        "110101",
        "东城区",
        "110102",
        "西城区",
    )
    tokens = staff_campaign(records, campaign, USERS, password=PASSWORD)
    return Kit(location, records, tokens)


def make_app(location: str | Path) -> FastAPI:
    """The service on the store at ``location`` (a ``.gpkg`` path or a PostGIS URL)."""
    from api.app import create_app
    from api.config import Settings

    return create_app(Settings(store=str(location)))


def marker_body(
    marker_no: str = "0001003B",
    *,
    offset_m: tuple[float, float] = (0.3, 0.0),
    condition: str = "完好",
    accuracy_m: float = 0.05,
    fix_type: str = "RTK",
    record_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid marker inspection of ``marker_no`` observed ``offset_m`` from its register."""
    chainage = MARKER_CHAINAGE_M[MARKERS_0001.index(marker_no)] if marker_no in MARKERS_0001 else 0
    dx, dy = marker_offset_m(chainage)
    lon, lat = lonlat_at(dx + offset_m[0], dy + offset_m[1])
    body: dict[str, Any] = {
        "record_id": record_id or str(uuid.uuid4()),
        "campaign_id": CAMPAIGN,
        "marker_no": marker_no,
        "inspected_at": "2025-04-08T09:30:00+08:00",
        "condition": condition,
        "position": {"lon": lon, "lat": lat, "accuracy_m": accuracy_m, "fix_type": fix_type},
        "reference_status": [{"name": "路灯杆", "status": "完好"}],
        "actions": ["拍照记录"],
        "inspectors": [{"name": "王建国", "side": "left"}, {"name": "刘洋", "side": "right"}],
    }
    body.update(extra)
    return body


def segment_body(
    from_marker: str = "0001002A", to_marker: str = "0001004A", **extra: Any
) -> dict[str, Any]:
    """A valid segment check between two markers of line 0001."""
    body: dict[str, Any] = {
        "record_id": str(uuid.uuid4()),
        "campaign_id": CAMPAIGN,
        "from_marker": from_marker,
        "to_marker": to_marker,
        "checked_at": "2025-04-08T11:00:00+08:00",
        "status": "unchanged",
        "inspectors": [{"name": "王建国", "side": "left"}, {"name": "刘洋", "side": "right"}],
    }
    body.update(extra)
    return body


# --- what a store holds, read alike from both backends -----------------------------------

#: the token rows (the record store API looks tokens up by hash but does not list them)
TOKEN_ROWS = (
    "SELECT token_hash, username, label, created_at, expires_at, revoked_at"
    " FROM mzgis_tokens ORDER BY token_hash"
)


class StoreReader:
    """A read-only SQL connection to the store at ``location``, for what the record store
    API does not show: a GeoPackage file opened read-only, or a PostGIS URL whose
    ``schema`` is put on the search path. Each query sees what was committed before it
    (autocommit: no transaction is held open between queries)."""

    def __init__(self, location: str) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        if not is_postgis_url(location):
            uri = f"{Path(location).resolve().as_uri()}?mode=ro"
            self._sqlite = sqlite3.connect(uri, uri=True, isolation_level=None)
            return
        import psycopg
        from psycopg import sql

        parts = urlsplit(location)
        params = parse_qsl(parts.query)
        rest = urlencode([(k, v) for k, v in params if k != "schema"])
        self._pg = psycopg.connect(urlunsplit(parts._replace(query=rest)), autocommit=True)
        schema = sql.Identifier(dict(params).get("schema", "mzgis"))
        self._pg.execute(sql.SQL("SET search_path TO {}").format(schema))

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        """The rows of a read-only ``query`` (unqualified table names)."""
        if self._sqlite is not None:
            return self._sqlite.execute(query).fetchall()
        rows: list[tuple[Any, ...]] = self._pg.execute(query.encode()).fetchall()
        return rows

    def close(self) -> None:
        for con in (self._sqlite, self._pg):
            if con is not None:
                con.close()


def read_rows(location: str, query: str) -> list[tuple[Any, ...]]:
    """The rows of one read-only SQL ``query`` on the store at ``location``
    (see :class:`StoreReader`)."""
    reader = StoreReader(location)
    try:
        return reader.rows(query)
    finally:
        reader.close()


def store_snapshot(records: RecordStore, reader: StoreReader) -> dict[str, Any]:
    """Everything a record store holds: through its API, the records of both kinds (body,
    computed values, state, version, ETag, photo metadata and sha256, review history),
    users, campaigns with their members, and the whole audit log and its head; with SQL
    (``reader`` on the same store), the token rows. Equal snapshots mean nothing was
    written."""
    snapshot: dict[str, Any] = {}
    for kind in KINDS:
        found, total = records.list_records(kind, RecordFilter())
        snapshot[kind] = [(r, r.etag, records.reviews(r.record_id)) for r in found]
        snapshot[f"{kind}_total"] = total
    snapshot["users"] = records.list_users()
    campaigns = records.list_campaigns()
    snapshot["campaigns"] = [(c, records.members(c.campaign_id)) for c in campaigns]
    snapshot["tokens"] = reader.rows(TOKEN_ROWS)
    snapshot["audit_head"] = records.audit_head()
    snapshot["audit"] = records.audit_log()
    return snapshot


def test_kit_geometry(tmp_path: Path) -> None:
    """The kit's markers lie on its line at the chainages it states."""
    from geo.inspection import LineGauge

    store = GeoPackageStore(tmp_path / "k.gpkg")
    write_layers(store)
    line = store.read("boundary_lines").geometry.iloc[0]
    gauge = LineGauge(line)
    markers = store.read("markers")
    on_line = markers[markers["line_code"] == "0001"]
    chain = gauge.chainage_m(on_line.geometry.x, on_line.geometry.y)
    np.testing.assert_allclose(chain, MARKER_CHAINAGE_M, atol=0.01)
    assert abs(gauge.length_m - 3000.0) < 0.01
