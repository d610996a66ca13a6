"""``mzgis site``: where new facilities should go, on the store's layers (the options mirror
``POST /analyses/siting``); prints the headline figures and the gain of each new site, and
writes the answer to a file whose suffix names the format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from api.cli_common import (
    ExportCrsOption,
    NetworkOption,
    ResultOutOption,
    StoreOption,
    console,
    opened_store,
    run_with_progress,
    user_errors,
)
from api.siting.cli_options import (
    AreaOption,
    CandidatesOption,
    CapacityOption,
    CutoffOption,
    DemandOption,
    EveryOption,
    ExcludeWithinOption,
    ExistingOption,
    MinSpacingOption,
    MipGapOption,
    ModeOption,
    NewSiteCapacityOption,
    NewSitesOption,
    ProblemOption,
    RadiusOption,
    RoadsOption,
    SetbackOption,
    SingleSourceOption,
    SpacingOption,
    TimeLimitOption,
    WeightOption,
)

if TYPE_CHECKING:
    from api.network.service import NetworkSource
    from api.siting.schemas import Setback, SitingRequest
    from api.siting.service import SitingRun

__all__ = ["app", "siting_request_from_options", "write_outputs"]

app = typer.Typer(
    name="site",
    help="Siting: where new facilities should go / 设施选址",
    invoke_without_command=True,
)

_TABLE_SUFFIXES = (".csv", ".xlsx")


def _setbacks(rules: list[str]) -> list[Setback]:
    from api.errors import InvalidParameterError
    from api.siting.schemas import Setback

    out = []
    for rule in rules:
        layer, _, metres = rule.rpartition(":")
        try:
            out.append(Setback(layer=layer, setback_m=float(metres)))
        except ValueError:
            raise InvalidParameterError(
                "--setback", rule, "use LAYER:METRES, e.g. meal_points:200",
                "格式应为 图层:米，如 meal_points:200",
            ) from None  # fmt: skip
    return out


def _stages(report: Callable[[str], None]) -> Callable[[str, float], None]:
    """A network builder's ``progress(stage, fraction)`` that reports each stage once."""
    seen: set[str] = set()

    def progress(stage: str, fraction: float) -> None:
        if stage not in seen:
            seen.add(stage)
            report(f"walking network: {stage} / 步行路网")

    return progress


def siting_request_from_options(
    *,
    problem: str,
    p: int | None,
    radius_m: float,
    cutoff_m: float | None,
    demand: str,
    weight: str,
    candidates: str,
    area: str,
    spacing_m: float,
    roads: str,
    every_m: float,
    exclude_within: list[str],
    setback: list[str],
    min_spacing_m: float | None,
    existing: str | None,
    capacity: str | None,
    new_site_capacity: float | None,
    single_source: bool,
    mode: str,
    time_limit_s: float,
    mip_gap: float,
) -> SitingRequest:
    """The request the options describe (``--candidates grid|network|LAYER``)."""
    from api.siting.schemas import CandidateSpec, SitingRequest

    source = candidates if candidates in ("grid", "network") else "layer"
    spec = CandidateSpec(
        source=source,  # type: ignore[arg-type]
        layer=candidates if source == "layer" else None,
        area_layer=area,
        spacing_m=spacing_m,
        roads_layer=roads,
        every_m=every_m,
        exclude_within=exclude_within,
        setbacks=_setbacks(setback),
        min_spacing_m=min_spacing_m,
    )
    return SitingRequest.model_validate(
        {
            "problem": problem,
            "p": p,
            "service_radius_m": radius_m,
            "cutoff_m": cutoff_m,
            "demand_layer": demand,
            "weight_col": weight or None,
            "candidates": spec,
            "existing_layer": existing,
            "capacity_col": capacity,
            "new_site_capacity": new_site_capacity,
            "single_source": single_source,
            "mode": mode,
            "time_limit_s": time_limit_s,
            "mip_gap": mip_gap,
        }
    )


def write_outputs(run: SitingRun, out: Path, *, store: str = "", crs: str = "wgs84") -> list[Path]:
    """Write the open sites, the demand with its coverage and the assignment. An XLSX is one
    workbook for people (:mod:`api.siting.workbook`); a GeoPackage gets three layers
    (``sites``, ``demand``, ``assignment``); any other format gets the sites in ``out`` and
    the others beside it (``out_demand.csv``, ``out_assignment.csv``). CSV places demand at
    a point inside each unit (lon/lat columns). Coordinates in ``crs`` (``gcj02``/``bd09``
    for 高德/百度)."""
    from api.siting.output import assignment_frame, demand_frame, sites_frame
    from api.siting.workbook import write_siting
    from layers.coords import from_wgs84_frame
    from layers.io import write_file

    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return [write_siting(run, out, store=store, crs=crs)]
    demand = demand_frame(run)
    if suffix in _TABLE_SUFFIXES:
        demand = demand.set_geometry(demand.geometry.representative_point())
    frames = {"sites": sites_frame(run), "demand": demand, "assignment": assignment_frame(run)}
    if crs != "wgs84":
        frames = {name: from_wgs84_frame(frame, crs) for name, frame in frames.items()}
    if suffix == ".gpkg":
        return sorted({write_file(frame, out, layer=name) for name, frame in frames.items()})
    paths = []
    for name, frame in frames.items():
        target = out if name == "sites" else out.with_name(f"{out.stem}_{name}{out.suffix}")
        paths.append(write_file(frame, target, layer=name))
    return paths


def print_summary(run: SitingRun) -> None:
    """Status, objective, gap, coverage before → after, and the gains in order."""
    from rich.table import Table

    from api.siting.output import gains_frame

    r, out = run.result, console()
    gap = "–" if r.gap is None or r.gap != r.gap else f"{r.gap:.2%}"
    total = r.total_weight or 1.0
    lines = [
        f"{run.request.problem}: {r.status}, objective / 目标值 {r.objective:,.2f}, "
        f"bound / 界 {r.bound:,.2f}, gap / 间隙 {gap}, solved in / 用时 {r.solve_s:.2f} s",
        f"distances / 距离: {run.mode}; candidates / 候选点 {len(run.inputs.candidates):,}, "
        f"existing / 现有 {int(r.is_fixed.sum())}, new / 新增 {r.n_new}",
        f"covered within / 覆盖半径 {r.service_radius_m:,.0f} m: {r.covered_before:,.0f} "
        f"({r.covered_before / total:.1%}) → {r.covered_after:,.0f} ({r.covered_after / total:.1%})"
        f" of / 共 {r.total_weight:,.0f}",
        *(f"note / 说明: {note}" for note in run.notes),
    ]
    for line in lines:
        out.print(line, markup=False)
    table = Table(title="new sites by gain / 新增选址（按增益排序）")
    table.add_column("rank/排名", justify="right")
    table.add_column("site/选址")
    table.add_column("gain/新增覆盖", justify="right")
    table.add_column("covered/累计覆盖", justify="right")
    g = gains_frame(run)
    for rank, site_id, gain, share in zip(
        g["rank"], g["facility_id"], g["gain"], g["covered_share"], strict=True
    ):
        table.add_row(str(rank), str(site_id), f"{gain:,.0f}", f"{share:.1%}")
    out.print(table)


@app.callback()
@user_errors
def site(  # noqa: PLR0917 - one parameter per CLI option
    problem: ProblemOption = "mclp",
    p: NewSitesOption = None,
    radius_m: RadiusOption = 1000.0,
    cutoff_m: CutoffOption = None,
    demand: DemandOption = "communities",
    weight: WeightOption = "elderly_60_plus",
    candidates: CandidatesOption = "grid",
    area: AreaOption = "districts",
    spacing_m: SpacingOption = 400.0,
    roads: RoadsOption = "roads",
    every_m: EveryOption = 200.0,
    exclude_within: ExcludeWithinOption = None,
    setback: SetbackOption = None,
    min_spacing_m: MinSpacingOption = None,
    existing: ExistingOption = None,
    capacity: CapacityOption = None,
    new_site_capacity: NewSiteCapacityOption = None,
    single_source: SingleSourceOption = False,
    mode: ModeOption = "euclidean",
    time_limit_s: TimeLimitOption = 30.0,
    mip_gap: MipGapOption = 1e-4,
    out: ResultOutOption = None,
    crs: ExportCrsOption = "wgs84",
    store: StoreOption = None,
    network: NetworkOption = None,
) -> None:
    """Choose new facility sites (LSCP, MCLP, p-median, p-center)
    / 设施选址（集合覆盖、最大覆盖、p-中值、p-中心）"""
    from api.catalog import Catalog
    from api.network.service import store_network
    from api.siting.service import run_siting
    from geo.network import load_network

    request = siting_request_from_options(
        problem=problem, p=p, radius_m=radius_m, cutoff_m=cutoff_m, demand=demand,
        weight=weight, candidates=candidates, area=area, spacing_m=spacing_m, roads=roads,
        every_m=every_m, exclude_within=exclude_within or [], setback=setback or [],
        min_spacing_m=min_spacing_m, existing=existing, capacity=capacity,
        new_site_capacity=new_site_capacity, single_source=single_source, mode=mode,
        time_limit_s=time_limit_s, mip_gap=mip_gap,
    )  # fmt: skip

    # a network file asked for is read first: a missing one is refused, not replaced by
    # straight lines as a store without a network is
    given = None if network is None else load_network(network)

    def source(report: Callable[[str], None]) -> NetworkSource:
        if given is not None:
            return lambda _store: given
        return lambda s: store_network(s, progress=_stages(report))

    with opened_store(store) as opened:
        run = run_with_progress(
            "siting / 选址",
            lambda report: run_siting(
                Catalog.build(opened), request, network_source=source(report), progress=report
            ),
        )
        url = opened.url
    print_summary(run)
    if out is not None:
        for path in write_outputs(run, out, store=url, crs=crs):
            console().print(f"wrote / 已写入 {path}", markup=False)
