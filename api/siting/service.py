"""Run a siting request on a store: read the named layers, build the candidates, solve, and
shape the answer. Shared by ``POST /analyses/siting``, ``mzgis site`` and ``/maps/siting``.

Names in the request (layers, columns) are checked against the store first, so a mistake
is refused with the field that holds it (:class:`api.errors.InvalidBodyError`, HTTP 422)
before anything is computed. Walking distances come from the caller's ``network_source``
(the app's shared network, or :func:`api.coverage.service.store_network`: loaded from beside
the GeoPackage, else built from its ``roads`` layer); when there is none (no source, no
``roads`` layer, a network that cannot be built) the analysis falls back to straight-line
distances and says so in its notes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from api.catalog import Catalog, require_column
from api.errors import InvalidBodyError
from api.network.service import NetworkSource
from api.siting.schemas import SitingRequest
from geo._errors import NetworkError
from geo.costs import Mode
from geo.network import Network
from geo.siting import (
    LSCP,
    MCLP,
    PCenter,
    PMedian,
    SitingProblem,
    SitingResult,
    enforce_spacing,
    exclude_near,
    exclude_within,
    grid_candidates,
    network_candidates,
)
from layers.schema import SCHEMAS
from layers.store import Store

__all__ = [
    "CAPACITY_COLUMN",
    "NO_NETWORK_NOTE",
    "PROBLEMS",
    "SitingInputs",
    "SitingRun",
    "check_request",
    "read_inputs",
    "run_siting",
]

PROBLEMS: dict[str, type[SitingProblem]] = {
    "lscp": LSCP,
    "mclp": MCLP,
    "pmedian": PMedian,
    "pcenter": PCenter,
}
#: the status of a closed facility, which does not count as existing
CLOSED = "停业"
#: the column that carries each site's capacity into the problem
CAPACITY_COLUMN = "capacity_units"
NO_NETWORK_NOTE = "no walking network: distances are straight-line / 无可用步行路网，已改用直线距离"
Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """A progress callback that says nothing."""


@dataclass(frozen=True)
class SitingInputs:
    """The frames of one request, indexed by string ids: demand, the candidates left by the
    rules (``generated`` before them), the existing facilities (or ``None``), and the layer
    kinds of demand and existing facilities."""

    demand: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame | None
    generated: int
    notes: tuple[str, ...] = ()
    demand_kind: str | None = None
    existing_kind: str | None = None


@dataclass(frozen=True)
class SitingRun:
    """A solved request: the inputs, the result, the distances used, the notes, and per
    demand row whether it is within the service radius of an existing site
    (``covered_before``) and of any open site (``covered_after``)."""

    request: SitingRequest
    inputs: SitingInputs
    result: SitingResult
    mode: Mode
    notes: tuple[str, ...]
    covered_before: NDArray[np.bool_]
    covered_after: NDArray[np.bool_]


def _network(store: Store, source: NetworkSource | None, notes: list[str]) -> Network | None:
    """The walking network from ``source``, or ``None`` with a note saying why not."""
    if source is None:
        notes.append(NO_NETWORK_NOTE)
        return None
    try:
        return source(store)
    except (InvalidBodyError, NetworkError) as exc:
        en, _, zh = str(exc).partition(" / ")
        notes.append(
            f"no walking network ({en}): distances are straight-line"
            f" / 无可用步行路网（{zh or en}），已改用直线距离"
        )
        return None


def _bad(field: str, value: object, en: str, zh: str) -> InvalidBodyError:
    return InvalidBodyError(field, value, en, zh)


def check_request(request: SitingRequest) -> None:
    """The rules between fields of a request (each error names the field at fault)."""
    kind, p = request.problem, request.p
    if kind == "lscp" and p is not None:
        en = "lscp finds the number of sites itself: leave p out"
        raise _bad("p", p, en, "集合覆盖模型（LSCP）自行求出设施数，不需要 p")
    if kind != "lscp" and p is None:
        raise _bad("p", p, f"{kind} needs p (new sites)", f"{kind} 需要给出新增设施数 p")
    if kind == "pcenter" and (request.capacity_col or request.new_site_capacity):
        raise _bad("capacity_col", request.capacity_col, "pcenter has no capacitated variant",
                   "p-中心模型不支持容量约束")  # fmt: skip
    if request.cutoff_m is not None and request.cutoff_m < request.service_radius_m:
        en = f"must be at least service_radius_m ({request.service_radius_m:g} m)"
        raise _bad("cutoff_m", request.cutoff_m, en, "最大计算距离不得小于服务半径")
    if request.candidates.source == "layer" and request.candidates.layer is None:
        en = "source 'layer' needs the name of the candidate layer"
        raise _bad("candidates.layer", None, en, "候选来源为图层时须给出图层名")


def _read_layer(catalog: Catalog, name: str, field: str) -> gpd.GeoDataFrame:
    """The layer ``name`` indexed by its ids as text (the schema's id column, else row
    numbers); an unknown name is refused naming ``field``."""
    frame = catalog.read(name, field=field, nonempty=True)
    schema = SCHEMAS.get(catalog.kind(name))
    id_col = schema.id_field if schema is not None else None
    ids = frame[id_col].astype(str) if id_col in frame.columns else None
    if ids is None or ids.isna().any() or not ids.is_unique:
        ids = pd.Series([f"{name}-{i + 1}" for i in range(len(frame))], index=frame.index)
    return frame.set_axis(pd.Index(ids.to_numpy(), name="id"))


def _numeric(frame: gpd.GeoDataFrame, column: str, field: str, layer: str) -> pd.Series:
    require_column(frame, column, field=field, layer=layer)
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.notna().sum() == 0:
        raise _bad(field, column, "the column holds no numbers", "该字段没有数值")
    return values


def _generate(catalog: Catalog, request: SitingRequest) -> tuple[gpd.GeoDataFrame, str]:
    """The candidates before the rules, and the id prefix of generated ones."""
    spec = request.candidates
    if spec.source == "layer":
        assert spec.layer is not None
        return _read_layer(catalog, spec.layer, "candidates.layer"), ""
    if spec.source == "grid":
        area = _read_layer(catalog, spec.area_layer, "candidates.area_layer")
        return grid_candidates(area, spacing_m=spec.spacing_m), "G"
    roads = _read_layer(catalog, spec.roads_layer, "candidates.roads_layer")
    return network_candidates(roads, every_m=spec.every_m), "R"


def _apply_rules(
    catalog: Catalog, request: SitingRequest, cands: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    spec = request.candidates
    for i, name in enumerate(spec.exclude_within):
        area = _read_layer(catalog, name, f"candidates.exclude_within.{i}")
        cands = exclude_within(cands, area.to_crs(cands.crs))
    for i, rule in enumerate(spec.setbacks):
        other = _read_layer(catalog, rule.layer, f"candidates.setbacks.{i}.layer")
        cands = exclude_near(cands, other.to_crs(cands.crs), setback_m=rule.setback_m)
    if spec.min_spacing_m is not None and len(cands):
        cands = enforce_spacing(cands, min_spacing_m=spec.min_spacing_m)
    return cands


def _candidates(catalog: Catalog, request: SitingRequest) -> tuple[gpd.GeoDataFrame, int]:
    raw, prefix = _generate(catalog, request)
    if prefix:
        width = len(str(len(raw)))
        ids = [f"{prefix}{i + 1:0{width}d}" for i in range(len(raw))]
        raw = raw.drop(columns="candidate_id").set_axis(pd.Index(ids, name="id"))
    kept = _apply_rules(catalog, request, raw)
    if len(kept) == 0:
        raise _bad(
            "candidates",
            request.candidates.source,
            f"no candidate sites are left ({len(raw)} before the exclusion rules)",
            f"没有可用的候选点（排除规则前共 {len(raw)} 个）",
        )
    return kept, len(raw)


def _capacities(
    request: SitingRequest, cands: gpd.GeoDataFrame, existing: gpd.GeoDataFrame | None
) -> None:
    """Put each site's capacity in :data:`CAPACITY_COLUMN` (frames are private copies): a
    candidate layer's from ``capacity_col`` (else ``new_site_capacity``), generated
    candidates' from ``new_site_capacity``, existing sites' from ``capacity_col`` (else
    unlimited)."""
    col, per_site = request.capacity_col, request.new_site_capacity
    if col is None and per_site is None:
        return
    spec = request.candidates
    if col is not None and spec.source == "layer" and (per_site is None or col in cands):
        values = _numeric(cands, col, "capacity_col", str(spec.layer))
        cands[CAPACITY_COLUMN] = values.fillna(0.0)
    elif per_site is not None:
        cands[CAPACITY_COLUMN] = float(per_site)
    else:
        raise _bad(
            "new_site_capacity",
            None,
            f"generated candidates have no {col!r}: give the capacity of a new site",
            f"生成的候选点没有字段 {col}，请给出新增设施容量",
        )
    if existing is not None:
        layer = str(request.existing_layer)
        existing[CAPACITY_COLUMN] = (
            np.inf if col is None else _numeric(existing, col, "capacity_col", layer).fillna(0.0)
        )


def _open_only(existing: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """The existing facilities without the closed ones (``status`` 停业); planned ones
    (筹建) stay, as they will be open."""
    if "status" not in existing.columns:
        return existing
    closed = (existing["status"] == CLOSED).to_numpy()
    if closed.any():
        notes.append(
            f"{int(closed.sum())} closed existing facilities ({CLOSED}) are left out"
            f" / 已排除 {int(closed.sum())} 处停业设施"
        )
    return existing[~closed]


def _demand(catalog: Catalog, request: SitingRequest, notes: list[str]) -> gpd.GeoDataFrame:
    """The demand layer, its weight column made numeric (missing counted as 0)."""
    demand = _read_layer(catalog, request.demand_layer, "demand_layer")
    if request.weight_col is None:
        return demand
    weight = _numeric(demand, request.weight_col, "weight_col", request.demand_layer)
    missing = int(weight.isna().sum())
    if missing:
        notes.append(
            f"{missing} demand rows have no {request.weight_col}: counted as 0"
            f" / {missing} 个需求单元缺少权重，按 0 计"
        )
    return demand.assign(**{request.weight_col: weight.fillna(0.0).clip(lower=0.0)})


def read_inputs(
    catalog: Catalog, request: SitingRequest, *, progress: Progress = _quiet
) -> SitingInputs:
    """Read and check every layer the request names, and build the candidates.

    Raises
    ------
    api.errors.InvalidBodyError
        Fields that do not go together, a layer or column that does not exist, or rules
        that leave no candidate.
    """
    check_request(request)
    notes: list[str] = []
    progress(f"reading {request.demand_layer} / 读取需求图层")
    demand = _demand(catalog, request, notes)
    existing = None
    if request.existing_layer is not None:
        existing = _read_layer(catalog, request.existing_layer, "existing_layer")
        existing = _open_only(existing, notes)
    progress(f"building candidates ({request.candidates.source}) / 生成候选点")
    cands, generated = _candidates(catalog, request)
    if existing is not None:
        clash = cands.index.intersection(existing.index)
        if len(clash):
            en = f"ids {', '.join(map(str, clash[:5]))} are both candidates and existing sites"
            raise _bad("existing_layer", request.existing_layer, en, "候选点与现有设施的编号重复")
        existing = existing.to_crs(cands.crs)
    _capacities(request, cands, existing)
    return SitingInputs(
        demand,
        cands,
        existing,
        generated,
        tuple(notes),
        demand_kind=catalog.kind(request.demand_layer),
        existing_kind=(
            None if request.existing_layer is None else catalog.kind(request.existing_layer)
        ),
    )


def run_siting(
    catalog: Catalog,
    request: SitingRequest,
    *,
    network_source: NetworkSource | None = None,
    progress: Progress = _quiet,
) -> SitingRun:
    """Read, build, solve. In network mode the walking network comes from
    ``network_source``; without one (or when it raises) distances are straight-line and a
    note says so.

    Raises
    ------
    api.errors.InvalidBodyError
        A name in the request that the store does not have.
    geo._errors.AnalysisError
        The problem cannot be built or has no solution (``InfeasibleError``) or the time
        limit came first (``SolveTimeoutError``).
    """
    inputs = read_inputs(catalog, request, progress=progress)
    notes = list(inputs.notes)
    network = None
    if request.mode == "network":
        progress("walking network / 步行路网")
        network = _network(catalog.store, network_source, notes)
    mode: Mode = "network" if network is not None else "euclidean"
    capacitated = CAPACITY_COLUMN in inputs.candidates.columns
    progress(f"measuring distances ({mode}) / 计算距离")
    problem = PROBLEMS[request.problem].from_geodataframe(
        inputs.demand,
        inputs.candidates,
        p=request.p,
        service_radius_m=request.service_radius_m,
        cutoff_m=request.effective_cutoff_m,
        weight_col=request.weight_col,
        existing=inputs.existing,
        capacity_col=CAPACITY_COLUMN if capacitated else None,
        single_source=request.single_source,
        mode=mode,
        network=network,
    )
    progress(f"solving {request.problem} / 求解中")
    result = problem.solve(time_limit_s=request.time_limit_s, mip_gap=request.mip_gap)
    cover = problem.costs.within(request.service_radius_m).astype(np.float64)
    before = (cover @ result.is_fixed.astype(np.float64)) > 0
    after = (cover @ result.is_open.astype(np.float64)) > 0
    return SitingRun(request, inputs, result, mode, tuple(notes), before, after)
