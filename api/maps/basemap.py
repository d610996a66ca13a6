"""A basemap drawn from the data, so a map is readable with no tile server: the walking
network's roads by class, district and street boundaries, and their names as labels.

Everything here is pure: frames in, display frames and label lists out. The builder turns
them into layers (:meth:`api.maps.builder.MapBuilder.add_basemap`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from geo.projection import measuring_crs
from layers.store import Store

__all__ = [
    "ROAD_TIERS",
    "BasemapData",
    "basemap_data",
    "polygon_labels",
    "road_labels",
    "road_tiers",
]

#: highway classes per drawing tier; classes not listed are minor; ``None`` = not drawn
ROAD_TIERS: dict[str, str | None] = {
    **dict.fromkeys(
        ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"), "major"
    ),
    **dict.fromkeys(("secondary", "secondary_link", "tertiary", "tertiary_link"), "medium"),
    **dict.fromkeys(("platform", "bus_stop", "proposed", "construction", "elevator"), None),
}
TIER_ORDER = ("minor", "medium", "major")
#: roads whose named length is shorter than this get no label
_MIN_LABEL_LENGTH_M = 150.0


@dataclass(frozen=True)
class BasemapData:
    """The frames the data basemap is drawn from (any may be missing)."""

    roads: gpd.GeoDataFrame | None = None
    districts: gpd.GeoDataFrame | None = None
    streets: gpd.GeoDataFrame | None = None

    @property
    def empty(self) -> bool:
        return all(f is None or f.empty for f in (self.roads, self.districts, self.streets))


def basemap_data(store: Store) -> BasemapData:
    """The first layer of kind ``roads``, ``districts`` and ``streets`` in ``store``."""
    first: dict[str, str] = {}
    for info in store.layers():
        first.setdefault(info.kind, info.name)
    frames = {kind: store.read(first[kind]) if kind in first else None for kind in first}
    return BasemapData(
        roads=frames.get("roads"), districts=frames.get("districts"), streets=frames.get("streets")
    )


def _tier_of(highway: pd.Series) -> pd.Series:
    mapped = highway.map(ROAD_TIERS)
    listed = highway.isin(list(ROAD_TIERS))
    return mapped.where(listed, "minor")


def road_tiers(roads: gpd.GeoDataFrame, *, tolerance_m: float = 2.0) -> gpd.GeoDataFrame:
    """One merged, simplified MultiLineString per tier (``minor``, ``medium``, ``major``), in
    lon/lat. Directed duplicates (u→v and v→u) are drawn once."""
    crs = measuring_crs(roads)
    highway = roads["highway"] if "highway" in roads else pd.Series("", index=roads.index)
    tier = _tier_of(highway.fillna("").astype(str))
    keep = tier.notna().to_numpy() & ~(roads.geometry.isna() | roads.geometry.is_empty).to_numpy()
    geoms = shapely.normalize(roads.geometry.to_crs(crs).to_numpy()[keep])
    frame = pd.DataFrame({"tier": tier.to_numpy()[keep], "wkb": shapely.to_wkb(geoms)})
    unique = ~frame.duplicated()
    rows = []
    for name in TIER_ORDER:
        mask = (unique & (frame["tier"] == name)).to_numpy()
        if mask.any():
            lines = shapely.multilinestrings(shapely.get_parts(geoms[mask]))
            rows.append((name, shapely.simplify(shapely.line_merge(lines), tolerance_m)))
    out = gpd.GeoDataFrame({"tier": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=crs)
    return out.to_crs(4326)


def polygon_labels(
    polygons: gpd.GeoDataFrame, *, field: str = "name"
) -> list[tuple[float, float, str]]:
    """``(lat, lon, text)`` at a point inside each polygon that has a ``field`` value."""
    if field not in polygons:
        return []
    named = polygons[polygons[field].notna() & ~polygons.geometry.is_empty]
    points = named.to_crs(4326).geometry.representative_point()
    return [
        (round(p.y, 6), round(p.x, 6), str(t)) for p, t in zip(points, named[field], strict=True)
    ]


def road_labels(
    roads: gpd.GeoDataFrame, *, tiers: tuple[str, ...] = ("major", "medium")
) -> list[tuple[float, float, str]]:
    """One ``(lat, lon, name)`` per named road of ``tiers``: the middle of its longest
    continuous stretch (roads shorter than 150 m in all are left unlabelled)."""
    if "name" not in roads or "highway" not in roads:
        return []
    tier = _tier_of(roads["highway"].fillna("").astype(str))
    named = roads[roads["name"].notna() & (roads["name"] != "") & tier.isin(tiers)]
    if named.empty:
        return []
    projected = named.geometry.to_crs(measuring_crs(roads))
    merged = projected.groupby(named["name"].to_numpy()).agg(
        lambda s: shapely.line_merge(shapely.multilinestrings(shapely.get_parts(s.to_numpy())))
    )
    parts, index = shapely.get_parts(merged.to_numpy(), return_index=True)
    lengths = shapely.length(parts)
    stretches = pd.DataFrame({"name": merged.index.to_numpy()[index], "length": lengths})
    total = stretches.groupby("name")["length"].transform("sum").to_numpy()
    longest = stretches.groupby("name")["length"].idxmax().to_numpy()
    longest = longest[total[longest] >= _MIN_LABEL_LENGTH_M]
    mids = shapely.line_interpolate_point(parts[longest], 0.5, normalized=True)
    lonlat = gpd.GeoSeries(mids, crs=projected.crs).to_crs(4326)
    return [
        (round(float(y), 6), round(float(x), 6), str(n))
        for x, y, n in zip(
            lonlat.x.to_numpy(),
            lonlat.y.to_numpy(),
            stretches["name"].to_numpy()[longest],
            strict=True,
        )
    ]
