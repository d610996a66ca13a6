"""The world of the field app's tests and benchmark (``tests/browser/test_field_*.py``,
``bench/bench_field_outbox.py``): line 0003 with 200 markers every 100 m (σ 0.2 m, three
reference objects each), roads crossing it every kilometre (and one far away, which the
offline bundle must leave out), the two districts it separates, users (two inspectors, one
for each side, a planner who reviews, an admin), and campaign 2025-0003 on the line with
both inspectors as members.

The line runs east along the parallel 5 km north of (116.38°E, 39.90°N), from 0 to 19.9 km,
measured in the CGCS2000 Gauss-Krüger zone of 117°E.
"""

from __future__ import annotations

import functools
import io
import uuid
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from PIL import Image
from pyproj import Transformer

from api.auth import hash_password, issue_token
from layers.records import Campaign, RecordStore, User, open_record_store
from layers.store import open_store

GK = "EPSG:4548"
ORIGIN_LONLAT = (116.38, 39.90)
SIGMA_M = 0.2
PASSWORD = "correct horse battery"
#: username → (role, side in the campaign or None)
USERS = {
    "insp_left": ("inspector", "left"),
    "insp_right": ("inspector", "right"),
    "planner": ("planner", None),
    "admin": ("admin", None),
}
LONG_LINE = "0003"
LONG_CAMPAIGN = "2025-0003"
LONG_MARKERS = 200
SPACING_M = 100.0
LINE_NORTH_M = 5000.0
TYPES = "QABCDE"


@functools.cache
def _transformers() -> tuple[Transformer, Transformer]:
    return (
        Transformer.from_crs(4326, GK, always_xy=True),
        Transformer.from_crs(GK, 4326, always_xy=True),
    )


def lonlat_at(dx_m: float, dy_m: float) -> tuple[float, float]:
    """The lon/lat of a point ``dx_m`` east and ``dy_m`` north of the origin (in GK)."""
    to_plane, to_lonlat = _transformers()
    x0, y0 = to_plane.transform(*ORIGIN_LONLAT)
    lon, lat = to_lonlat.transform(x0 + dx_m, y0 + dy_m)
    return float(lon), float(lat)


def long_marker_no(i: int) -> str:
    """Number of the ``i``-th marker (0-based) of line 0003."""
    return f"{LONG_LINE}{i + 1:03d}{TYPES[i % len(TYPES)]}"


def long_marker_lonlat(i: int, *, dx_m: float = 0.0, dy_m: float = 0.0) -> tuple[float, float]:
    """Lon/lat of the ``i``-th marker of line 0003, moved ``dx_m`` east and ``dy_m`` north."""
    return lonlat_at(i * SPACING_M + dx_m, LINE_NORTH_M + dy_m)


def _long_layers() -> dict[str, gpd.GeoDataFrame]:
    end_m = (LONG_MARKERS - 1) * SPACING_M
    line = shapely.LineString([lonlat_at(0.0, LINE_NORTH_M), lonlat_at(end_m, LINE_NORTH_M)])
    lines = gpd.GeoDataFrame(
        {"line_code": [LONG_LINE], "name": ["朝阳区—丰台区界线"], "left_code": ["110105"],
         "left_name": ["朝阳区"], "right_code": ["110106"], "right_name": ["丰台区"],
         "length_m": [end_m]},
        geometry=[line], crs=4326,
    )  # fmt: skip
    numbers = [long_marker_no(i) for i in range(LONG_MARKERS)]
    refs = [{"name": n, "bearing_deg": 45.0, "distance_m": 8.0} for n in ("电线杆", "石碑", "大树")]
    markers = gpd.GeoDataFrame(
        {"marker_no": numbers, "line_code": LONG_LINE,
         "sequence": pd.array(range(1, LONG_MARKERS + 1), dtype="Int64"),
         "marker_type": [n[-1] for n in numbers], "sigma_m": np.full(LONG_MARKERS, SIGMA_M),
         "reference_objects": [refs] * LONG_MARKERS},
        geometry=[shapely.Point(long_marker_lonlat(i)) for i in range(LONG_MARKERS)], crs=4326,
    )  # fmt: skip
    xs = [*np.arange(0.0, end_m, 1000.0), 5000.0]
    ys = [(LINE_NORTH_M - 1000, LINE_NORTH_M + 1000)] * (len(xs) - 1) + [(30_000.0, 31_000.0)]
    roads = gpd.GeoDataFrame(
        {"edge_id": np.arange(len(xs)), "highway": "track",
         "name": [f"巡线路{i + 1}" for i in range(len(xs))]},
        geometry=[shapely.LineString([lonlat_at(x, y0), lonlat_at(x, y1)])
                  for x, (y0, y1) in zip(xs, ys, strict=True)], crs=4326,
    )  # fmt: skip
    north = shapely.Polygon(
        [lonlat_at(-500, LINE_NORTH_M), lonlat_at(end_m + 500, LINE_NORTH_M),
         lonlat_at(end_m + 500, LINE_NORTH_M + 3000), lonlat_at(-500, LINE_NORTH_M + 3000)]
    )  # fmt: skip
    south = shapely.Polygon(
        [lonlat_at(-500, LINE_NORTH_M - 3000), lonlat_at(end_m + 500, LINE_NORTH_M - 3000),
         lonlat_at(end_m + 500, LINE_NORTH_M), lonlat_at(-500, LINE_NORTH_M)]
    )  # fmt: skip
    districts = gpd.GeoDataFrame(
        {"code": ["110105", "110106"], "name": ["朝阳区", "丰台区"]},
        geometry=[north, south],
        crs=4326,
    )
    return {"boundary_lines": lines, "markers": markers, "roads": roads, "districts": districts}


@dataclass
class FieldWorld:
    """A built world: the store's location, its record store, a token per user."""

    location: str
    records: RecordStore
    tokens: dict[str, str]

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def close(self) -> None:
        self.records.close()


def staff_campaign(
    records: RecordStore,
    campaign: Campaign,
    users: dict[str, tuple[str, str | None]],
    *,
    password: str,
) -> dict[str, str]:
    """Add ``users`` (username → role and side, all with ``password``) and ``campaign``
    with the users who have a side as its members; returns a new token for each user."""
    password_hash = hash_password(password)
    for name, (role, _) in users.items():
        records.add_user(User(name, role, name.title(), password_hash), actor="cli")  # type: ignore[arg-type]
    records.add_campaign(campaign, actor="planner")
    for name, (_, side) in users.items():
        if side is not None:
            records.add_member(campaign.campaign_id, name, side=side, actor="planner")
    return {name: issue_token(records, name, actor="cli")[0] for name in users}


def build_field_world(location: str) -> FieldWorld:
    """Layers, users, and campaign 2025-0003 in the new store at ``location`` (close it)."""
    store = open_store(location)
    try:
        for name, frame in _long_layers().items():
            store.write(name, frame, kind=name)
    finally:
        store.close()
    records = open_record_store(location)
    campaign = Campaign(
        LONG_CAMPAIGN, LONG_LINE, 1, 2025, "2025年朝阳区—丰台区界线联检",
        "110105", "朝阳区", "110106", "丰台区",
    )  # fmt: skip
    tokens = staff_campaign(records, campaign, USERS, password=PASSWORD)
    return FieldWorld(location, records, tokens)


def marker_body(i: int, *, notes: str | None = None, offset_m: float = 0.3) -> dict[str, Any]:
    """A valid marker inspection of marker ``i`` of line 0003 as the app builds it (every
    optional field spelled out, times in UTC to the second), found ``offset_m`` east of its
    registered position with an RTK-grade fix; no photos yet."""
    lon, lat = long_marker_lonlat(i, dx_m=offset_m)
    return {
        "record_id": str(uuid.uuid4()),
        "campaign_id": LONG_CAMPAIGN,
        "marker_no": long_marker_no(i),
        "inspected_at": "2025-04-08T01:30:00Z",
        "condition": "完好",
        "damage_detail": None,
        "position": {
            "lon": lon,
            "lat": lat,
            "accuracy_m": 0.5,
            "fix_type": "single",
            "source": "browser geolocation",
            "crs": "wgs84",
        },
        "reference_status": [{"name": "电线杆", "status": "完好", "note": None}],
        "notes": notes,
        "actions": ["拍照记录"],
        "photos": [],
        "inspectors": [
            {"name": "Insp_Left", "side": "left", "username": "insp_left"},
            {"name": "insp_right", "side": "right", "username": None},
        ],
    }


def jpeg(seed: int, *, width: int = 900, height: int = 675, quality: int = 85) -> bytes:
    """A distinct JPEG (smooth colours plus noise, so every seed hashes differently)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, seed * 37 % 255)], -1)
    pixels = np.clip(base + rng.normal(0, 18, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=quality)
    return out.getvalue()
