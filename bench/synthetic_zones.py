"""A seeded synthetic city for tests and benchmarks of responsibility zones.

Blocks are the Voronoi cells of points on a jittered grid (irregular polygons that meet
mostly at three-way corners), grouped into rectangular streets (街道); stations sit in random
blocks spread over each street (one per run of blocks along a Z-order curve), streets getting
stations in proportion to their blocks; workloads are random counts;
capacities match each street's workload with a little slack. Everything is labelled
estimated.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.costs import CostMatrix
from geo.zones.problem import Band, OrphanStreets, ZoneProblem

__all__ = ["grid_problem", "synthetic_city", "synthetic_province"]

#: CGCS2000 / 3-degree Gauss-Krüger CM 117E (Beijing)
CITY_CRS = "EPSG:4548"
_ORIGIN_XY = (440_000.0, 4_400_000.0)


def _grid_shape(n_blocks: int) -> tuple[int, int]:
    nx = max(1, round(np.sqrt(n_blocks)))
    ny = max(1, int(np.ceil(n_blocks / nx)))
    return nx, ny


def _blocks(nx: int, ny: int, size_m: float, rng: np.random.Generator) -> NDArray[np.object_]:
    """Voronoi cells of jittered grid points, clipped to the grid's rectangle (irregular
    blocks meeting mostly at three-way corners, like real community polygons)."""
    iy, ix = np.meshgrid(np.arange(ny, dtype=float), np.arange(nx, dtype=float), indexing="ij")
    jitter = rng.uniform(-0.35, 0.35, size=(2, ix.size))
    x = (ix.ravel() + 0.5 + jitter[0]) * size_m + _ORIGIN_XY[0]
    y = (iy.ravel() + 0.5 + jitter[1]) * size_m + _ORIGIN_XY[1]
    frame = shapely.box(
        _ORIGIN_XY[0], _ORIGIN_XY[1], _ORIGIN_XY[0] + nx * size_m, _ORIGIN_XY[1] + ny * size_m
    )
    cells = shapely.voronoi_polygons(
        shapely.multipoints(np.column_stack([x, y])), extend_to=frame, ordered=True
    )
    return shapely.intersection(shapely.get_parts(cells), frame)


def _streets(nx: int, ny: int, n_streets: int) -> NDArray[np.intp]:
    sx = max(1, round(np.sqrt(n_streets * nx / ny)))
    sy = max(1, int(np.ceil(n_streets / sx)))
    iy, ix = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    col = np.minimum(ix.ravel() * sx // nx, sx - 1)
    row = np.minimum(iy.ravel() * sy // ny, sy - 1)
    return (row * sx + col).astype(np.intp)


def _spread(counts: NDArray[np.int64], total: int) -> NDArray[np.int64]:
    """Split ``total`` over groups in proportion to ``counts``, at least 1 each (largest
    remainders first, ties by group order)."""
    share = counts / counts.sum() * total
    out = np.maximum(np.floor(share).astype(np.int64), 1)
    rest = total - int(out.sum())
    if rest > 0:
        order = np.argsort(-(share - np.floor(share)), kind="stable")
        out[order[:rest]] += 1
    return np.minimum(out, counts)


def synthetic_city(
    n_blocks: int,
    n_stations: int,
    *,
    n_streets: int | None = None,
    block_m: float = 100.0,
    mean_workload: float = 20.0,
    slack: float = 0.05,
    placement: Literal["spread", "random"] = "spread",
    seed: int = 0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Blocks and stations of a synthetic city (projected CRS, metres).

    Parameters
    ----------
    n_blocks, n_stations
        Sizes (the grid is the nearest rectangle, so ``n_blocks`` is rounded up to it).
    n_streets
        Number of streets (rectangular groups of blocks); default one per ~250 blocks.
    block_m
        Grid spacing in metres.
    mean_workload
        Mean basic-service recipients per block (gamma-Poisson counts).
    slack
        Total capacity in each street is its workload × (1 + slack).
    placement
        ``"spread"``: stations spread over each street (as planned); ``"random"``: uniformly
        random blocks (crowded clusters happen, a harder case).
    seed
        Seed of every random draw.

    Returns
    -------
    (units, stations)
        ``units``: ``block_id``, ``street_code``, ``basic_recipients``, ``source``, polygon
        geometry. ``stations``: ``station_id``, ``street_code``, ``capacity_persons``,
        ``source``, point geometry.
    """
    rng = np.random.default_rng(seed)
    nx, ny = _grid_shape(n_blocks)
    polys = _blocks(nx, ny, block_m, rng)
    n = polys.size
    street = _streets(nx, ny, n_streets or max(1, round(n / 250)))
    _, street = np.unique(street, return_inverse=True)
    work = rng.poisson(rng.gamma(4.0, mean_workload / 4.0, size=n)).astype(np.int64)
    per_street = np.bincount(street).astype(np.int64)
    n_st = _spread(per_street, min(n_stations, n))
    hosts = _hosts(street, per_street, n_st, nx if placement == "spread" else 0, rng)
    cap = _capacities(work, street, hosts, slack, rng)
    centre = shapely.centroid(polys[hosts])
    offset = rng.uniform(-0.1, 0.1, size=(hosts.size, 2)) * block_m
    points = shapely.points(shapely.get_coordinates(centre) + offset)
    codes = np.array([f"110101{s + 1:03d}" for s in range(int(street.max()) + 1)], dtype=object)
    units = gpd.GeoDataFrame(
        {
            "block_id": [f"B{i:06d}" for i in range(n)],
            "street_code": codes[street],
            "basic_recipients": work,
            "source": "estimated",
        },
        geometry=polys,
        crs=CITY_CRS,
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": [f"S{j:05d}" for j in range(hosts.size)],
            "street_code": codes[street[hosts]],
            "capacity_persons": cap,
            "source": "estimated",
        },
        geometry=points,
        crs=CITY_CRS,
    )
    return units, stations


def _morton(ix: NDArray[np.intp], iy: NDArray[np.intp]) -> NDArray[np.int64]:
    """Z-order code of grid cells (16 bits per axis)."""
    code = np.zeros(ix.size, dtype=np.int64)
    for bit in range(16):
        code |= ((ix.astype(np.int64) >> bit) & 1) << (2 * bit)
        code |= ((iy.astype(np.int64) >> bit) & 1) << (2 * bit + 1)
    return code


def _hosts(
    street: NDArray[np.intp],
    per_street: NDArray[np.int64],
    n_st: NDArray[np.int64],
    nx: int,
    rng: np.random.Generator,
) -> NDArray[np.intp]:
    """One random block in each of ``n_st`` consecutive runs of a street's blocks along the
    Z-order curve (stations spread over the street as planners place them), or along a random
    order when ``nx == 0`` (uniformly random blocks)."""
    n = street.size
    cell = np.arange(n)
    curve = _morton(cell % nx, cell // nx) if nx > 0 else rng.permutation(n).astype(np.int64)
    order = np.lexsort((curve, street))
    starts = np.concatenate([[0], np.cumsum(per_street)[:-1]])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, per_street)
    chunk = rank * n_st[street] // per_street[street]
    pick = np.lexsort((rng.random(n), chunk, street))
    first = np.ones(n, dtype=bool)
    first[1:] = (street[pick][1:] != street[pick][:-1]) | (chunk[pick][1:] != chunk[pick][:-1])
    hosts = pick[first]
    return hosts[np.lexsort((hosts, street[hosts]))].astype(np.intp)


def _capacities(
    work: NDArray[np.int64],
    street: NDArray[np.intp],
    hosts: NDArray[np.intp],
    slack: float,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    host_street = street[hosts]
    raw = rng.uniform(0.8, 1.2, size=hosts.size)
    street_work = np.bincount(street, weights=work.astype(float))
    raw_sum = np.bincount(host_street, weights=raw, minlength=street_work.size)
    cap = raw / raw_sum[host_street] * street_work[host_street] * (1 + slack)
    return np.maximum(np.round(cap), 1).astype(np.int64)


def grid_problem(
    nx: int,
    ny: int,
    *,
    homes: Sequence[int],
    workload: ArrayLike,
    capacity: ArrayLike,
    band: Band = 0.15,
    street: ArrayLike | None = None,
    locks: Mapping[Hashable, Hashable] | None = None,
    allow_cross_street: bool = False,
    cross_penalty_m: float = 500.0,
    spacing_m: float = 100.0,
    orphan_streets: OrphanStreets = "adjacent",
) -> ZoneProblem:
    """A small problem on an ``nx`` × ``ny`` grid of square units (rook adjacency), stations
    at the centres of their ``homes`` units, straight-line distances between centres. Units
    are ``U0, U1, ...`` row by row from the bottom left; stations ``S0, S1, ...``."""
    n = nx * ny
    cell = np.arange(n)
    xy = np.column_stack([cell % nx, cell // nx]).astype(float) * spacing_m
    home = np.asarray(homes, dtype=np.intp)
    dist = np.hypot(*(xy[:, None, :] - xy[home][None, :, :]).transpose(2, 0, 1))
    right = cell[(cell % nx) < nx - 1]
    up = cell[cell < n - nx]
    a = np.concatenate([right, up])
    b = np.concatenate([right + 1, up + nx])
    adj = sp.csr_array((np.ones(2 * a.size, dtype=bool), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    uid = np.array([f"U{i}" for i in range(n)], dtype=object)
    sid = np.array([f"S{j}" for j in range(home.size)], dtype=object)
    half = spacing_m / 2
    squares = shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half)
    return ZoneProblem.from_cost_matrix(
        CostMatrix.from_dense(dist, demand_ids=uid, facility_ids=sid),
        workload=workload,
        capacity=capacity,
        adjacency=adj,
        street=street,
        locks=locks,
        band=band,
        allow_cross_street=allow_cross_street,
        cross_penalty_m=cross_penalty_m,
        homes=uid[home],
        unit_xy=xy,
        station_xy=xy[home],
        unit_geometry=gpd.GeoSeries(squares, crs=CITY_CRS),
        station_geometry=gpd.GeoSeries(shapely.points(xy[home]), crs=CITY_CRS),
        orphan_streets=orphan_streets,
    )


def _shifted(geoms: NDArray[np.object_], shift: NDArray[np.float64]) -> NDArray[np.object_]:
    def move(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return xy + shift

    return np.asarray(shapely.transform(geoms, move))


def synthetic_province(
    n_districts: int,
    n_blocks: int,
    n_stations: int,
    *,
    n_streets: int,
    block_m: float = 100.0,
    placement: Literal["spread", "random"] = "spread",
    slack: float = 0.05,
    seed: int = 0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Synthetic cities (:func:`synthetic_city`, seeds ``seed + d``) side by side as the
    districts of a province, blocks touching across district borders: district ``1101dd``,
    street ``1101ddsss``, block ids ``1101dd`` + 6 digits (12-digit codes, in ``code``),
    station ids ``Sdd`` + 5 digits."""
    layout = max(1, round(float(np.sqrt(n_districts))))
    nx = max(1, round(float(np.sqrt(n_blocks))))
    ny = int(np.ceil(n_blocks / nx))
    units, stations = [], []
    for d in range(n_districts):
        u, s = synthetic_city(
            n_blocks,
            n_stations,
            n_streets=n_streets,
            block_m=block_m,
            placement=placement,
            slack=slack,
            seed=seed + d,
        )
        shift = np.array([d % layout * nx, d // layout * ny]) * block_m
        code = f"1101{d + 1:02d}"
        units.append(
            u.assign(
                street_code=[code + c[-3:] for c in u["street_code"]],
                code=[code + b[-6:] for b in u["block_id"]],
                geometry=_shifted(u.geometry.values, shift),
            )
        )
        stations.append(
            s.assign(
                street_code=[code + c[-3:] for c in s["street_code"]],
                station_id=[f"S{d + 1:02d}{i[1:]}" for i in s["station_id"]],
                geometry=_shifted(s.geometry.values, shift),
            )
        )
    crs = units[0].crs
    return (
        gpd.GeoDataFrame(pd.concat(units, ignore_index=True), crs=crs),
        gpd.GeoDataFrame(pd.concat(stations, ignore_index=True), crs=crs),
    )
