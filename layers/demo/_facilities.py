"""Facilities of the demo: elderly-care stations and meal points (estimated), real shelter
locations (converted from GCJ-02) with estimated capacities, and three estimated cemeteries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

from layers.coords import gcj02_to_wgs84
from layers.demo._capacity import station_shares
from layers.demo._common import (
    MEASURE_CRS,
    STORE_CRS,
    largest_remainder,
    measure_area_m2,
    sample_points,
    tag,
)

__all__ = [
    "BEIJING_MEAL_POINTS",
    "BEIJING_POPULATION",
    "BEIJING_STATIONS",
    "build_cemeteries",
    "build_meal_points",
    "build_shelters",
    "build_stations",
]

#: Beijing-wide counts of 2021 and the 2020 resident population they are scaled by
BEIJING_STATIONS = 1_112
BEIJING_MEAL_POINTS = 1_015
BEIJING_POPULATION = 21_900_000
#: total station capacity over the basic-service recipients of the districts
CAPACITY_RATIO = 1.1
#: effective shelter area per person (m²)
SHELTER_M2_PER_PERSON = 1.5
SHELTER_CLASSES = {  # class: (probability, log-uniform effective area range in m²)
    "I类": (0.08, (50_000.0, 200_000.0)),
    "II类": (0.27, (10_000.0, 50_000.0)),
    "III类": (0.65, (1_500.0, 10_000.0)),
}
#: light jitter of each station's capacity around its nearest-communities share (±)
CAPACITY_JITTER = 0.03
FACILITY_SOURCE = (
    "estimated: counts scaled from Beijing 2021 totals (1,112 stations, 1,015 meal points) "
    "by resident population, placed in communities by population"
)
STATION_SOURCE = (
    "estimated: count scaled from the Beijing 2021 total (1,112 stations) by resident "
    "population; one station in every street (Beijing's goal of a station per street), the "
    "rest in other communities by population; capacity 1.1 × the basic-service recipients of "
    "the communities nearest to the station within its street (along neighbouring "
    "communities), jittered ±3 %"
)


def _short(name: str) -> str:
    return name.removesuffix("居委会")


def _place(
    communities: gpd.GeoDataFrame, n: int, *, rng: np.random.Generator
) -> tuple[np.ndarray, list[shapely.Point]]:
    """Pick ``n`` communities with probability ∝ population and a random point in each."""
    pop = communities["population"].to_numpy(dtype=float)
    rows = np.sort(rng.choice(len(communities), size=n, p=pop / pop.sum()))
    geoms = communities.geometry.to_numpy()
    points = [shapely.Point(sample_points(geoms[r], 1, rng=rng)[0]) for r in rows]
    return rows, points


def _names(
    communities: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, rows: np.ndarray, suffix: str
) -> list[str]:
    street_names = streets.set_index("code")["name"]
    picked = communities.iloc[rows]
    base = [
        f"{street_names[s]}{_short(c)}{suffix}"
        for s, c in zip(picked["street_code"], picked["name"], strict=True)
    ]
    seen: dict[str, int] = {}
    out = []
    for name in base:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}（{seen[name]}）")
    return out


def _station_rows(communities: gpd.GeoDataFrame, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Rows of ``n`` distinct communities (sorted): one in every street first, chosen with
    probability ∝ population within the street (exponential races), then the rest ∝
    population among the other communities."""
    pop = communities["population"].to_numpy(dtype=float)
    _, street = np.unique(communities["street_code"].to_numpy(dtype=str), return_inverse=True)
    race = rng.exponential(size=pop.size) / pop
    order = np.lexsort((race, street))
    first = order[np.unique(street[order], return_index=True)[1]]
    rest = np.setdiff1d(np.arange(pop.size), first)
    extra = max(n - first.size, 0)
    more = rng.choice(rest, size=extra, replace=False, p=pop[rest] / pop[rest].sum())
    return np.sort(np.concatenate([first, more]))


def _capacities(
    communities: gpd.GeoDataFrame, rows: np.ndarray, *, rng: np.random.Generator
) -> np.ndarray:
    """Capacity of each station: the basic-service recipients of the communities it would
    serve (:func:`layers.demo._capacity.station_shares`: nearest within the street, a
    contiguous zone), × :data:`CAPACITY_RATIO`, jittered by ±:data:`CAPACITY_JITTER` and
    rounded so the total is exactly the ratio × all recipients."""
    work = communities["basic_recipients"].to_numpy(dtype=float)
    share = np.bincount(station_shares(communities, rows), weights=work, minlength=rows.size)
    jitter = rng.uniform(1 - CAPACITY_JITTER, 1 + CAPACITY_JITTER, rows.size)
    return largest_remainder(share * jitter, round(CAPACITY_RATIO * work.sum()))


def build_stations(
    communities: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, *, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Community elderly-care stations (社区养老服务驿站), all estimated: the count scaled by
    population (at least one per street), one in every street, the rest by population, each
    in its own community; capacities sized to the recipients of the nearest communities of
    the station's street (:func:`_capacities`), so the demo's zones can meet a ±15 % band."""
    share = int(communities["population"].sum()) / BEIJING_POPULATION
    n = max(round(BEIJING_STATIONS * share), communities["street_code"].nunique())
    rows = _station_rows(communities, n, rng=rng)
    geoms = communities.geometry.to_numpy()
    points = [shapely.Point(sample_points(geoms[r], 1, rng=rng)[0]) for r in rows]
    frame = gpd.GeoDataFrame(
        {
            "station_id": [f"YZ{i + 1:04d}" for i in range(n)],
            "name": _names(communities, streets, rows, "养老服务驿站"),
            "star_rating": rng.choice(5, size=n, p=[0.1, 0.25, 0.35, 0.2, 0.1]) + 1,
            "capacity_persons": _capacities(communities, rows, rng=rng),
            "status": np.where(rng.random(n) < 0.94, "运营", "筹建"),
            "community_code": communities["code"].to_numpy()[rows],
        },
        geometry=points,
        crs=STORE_CRS,
    )
    estimated = ["geometry", "name", "star_rating", "capacity_persons", "status", "community_code"]
    return tag(frame, source=STATION_SOURCE, estimated=estimated)


def build_meal_points(
    communities: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, *, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Elderly meal points (养老助餐点), all estimated."""
    share = int(communities["population"].sum()) / BEIJING_POPULATION
    n = round(BEIJING_MEAL_POINTS * share)
    rows, points = _place(communities, n, rng=rng)
    frame = gpd.GeoDataFrame(
        {
            "meal_point_id": [f"ZC{i + 1:04d}" for i in range(n)],
            "name": _names(communities, streets, rows, "养老助餐点"),
            "meals_per_day": rng.integers(80, 301, size=n),
            "status": np.where(rng.random(n) < 0.95, "运营", "筹建"),
        },
        geometry=points,
        crs=STORE_CRS,
    )
    estimated = ["geometry", "name", "meals_per_day", "status"]
    return tag(frame, source=FACILITY_SOURCE, estimated=estimated)


def build_shelters(
    raw: pd.DataFrame, districts: gpd.GeoDataFrame, *, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """The real shelter points inside the districts, converted GCJ-02 → WGS84; class,
    effective area and capacity estimated."""
    lon, lat = gcj02_to_wgs84(raw["lon_gcj02"].to_numpy(), raw["lat_gcj02"].to_numpy())
    area = shapely.union_all(districts.geometry.to_numpy())
    inside = shapely.contains_xy(area, lon, lat)
    n = int(inside.sum())
    classes = list(SHELTER_CLASSES)
    pick = rng.choice(len(classes), size=n, p=[SHELTER_CLASSES[c][0] for c in classes])
    low = np.log([SHELTER_CLASSES[classes[i]][1][0] for i in pick])
    high = np.log([SHELTER_CLASSES[classes[i]][1][1] for i in pick])
    effective = np.round(np.exp(rng.uniform(low, high)), -1)
    frame = gpd.GeoDataFrame(
        {
            "shelter_id": raw["sid"].to_numpy()[inside],
            "name": [f"应急避难场所 {s}" for s in raw["sid"].to_numpy()[inside]],
            "shelter_class": [classes[i] for i in pick],
            "effective_area_m2": effective,
            "capacity_persons": np.floor(effective / SHELTER_M2_PER_PERSON).astype(np.int64),
        },
        geometry=shapely.points(lon[inside], lat[inside]),
        crs=STORE_CRS,
    )
    source = (
        "Beijing open-data portal shelter addresses, geocoded (ohnowho/MyShleter_1.0); "
        "GCJ-02 converted to WGS84; class, area and capacity estimated"
    )
    return tag(
        frame, source=source, estimated=["shelter_class", "effective_area_m2", "capacity_persons"]
    )


def build_cemeteries(districts: gpd.GeoDataFrame, *, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Three small cemetery polygons, all estimated (the core districts have no public
    cemeteries: these are demo features only)."""
    projected = shapely.union_all(districts.to_crs(MEASURE_CRS).geometry.to_numpy())
    core = projected.buffer(-300.0)
    centres = sample_points(core, 3, rng=rng)
    sizes = rng.uniform(60.0, 140.0, size=(3, 2))
    boxes = [
        affinity.rotate(
            shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2), float(rng.uniform(0, 90))
        )
        for (x, y), (w, h) in zip(centres, sizes, strict=True)
    ]
    total = rng.integers(800, 4_000, size=3)
    frame = gpd.GeoDataFrame(
        {
            "cemetery_id": ["GM001", "GM002", "GM003"],
            "name": ["演示公墓甲（估算）", "演示公墓乙（估算）", "演示公墓丙（估算）"],
            "cemetery_type": ["公益性", "公益性", "经营性"],
            "total_plots": total,
            "remaining_plots": np.round(total * rng.uniform(0.05, 0.4, 3)).astype(np.int64),
        },
        geometry=boxes,
        crs=MEASURE_CRS,
    ).to_crs(STORE_CRS)
    frame["area_m2"] = measure_area_m2(frame.geometry)
    source = "estimated demo feature: no real cemetery here"
    estimated = [c for c in frame.columns if c != "cemetery_id"]
    return tag(frame, source=source, estimated=estimated)
