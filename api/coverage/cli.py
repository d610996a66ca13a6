"""``mzgis coverage``: who is within reach of a facility layer, by walking distance or straight
line, rolled up by community, street or district; the top gaps; the per-unit table exported
by file suffix (GeoPackage, GeoJSON, CSV, XLSX).

The command is thin: it parses options into the arguments of
:func:`api.coverage.service.run_coverage`, runs it under a spinner (:func:`compute`) and
prints the result (:func:`print_result`); a distributed runner can wrap :func:`compute`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import typer

from api.cli_common import (
    ExportCrsOption,
    NetworkOption,
    StoreOption,
    WorkersOption,
    console,
    network_source,
    opened_store,
    resolve_store,
    run_with_progress,
    user_errors,
)
from api.coverage.cli_options import (
    ByOption,
    DemandOption,
    FacilitiesOption,
    LangOption,
    ModeOption,
    OutOption,
    PiecesDirOption,
    RadiusOption,
    SchedulerOption,
    TiersOption,
    WeightOption,
    check_options,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from api.coverage.service import CoverageRun
    from api.network.service import NetworkSource
    from layers.io.sheets import Lang
    from layers.store import Store

__all__ = [
    "app",
    "compute",
    "compute_by_district",
    "coverage_command",
    "division_names",
    "parse_tiers",
    "print_result",
    "write_result",
]

app = typer.Typer(
    name="coverage",
    help="Coverage of facilities / 设施覆盖分析",
    invoke_without_command=True,
    no_args_is_help=True,
)

Level = Literal["community", "street", "district"]
TOP_GAPS = 10


def parse_tiers(text: str | None) -> list[float] | None:
    """``"300,500,1000"`` → ``[300.0, 500.0, 1000.0]`` (checked: positive, increasing)."""
    if text is None:
        return None
    from api.coverage.service import parse_tiers as parse

    return list(parse(text, field="--tiers"))


def compute(
    store: Store,
    *,
    facilities: str,
    demand: str,
    radius_m: float | None,
    tiers_m: list[float] | None,
    mode: Literal["network", "euclidean"],
    weights: list[str] | None,
    source: NetworkSource | None = None,
) -> CoverageRun:
    """Run the analysis on ``store`` under a spinner; the walking network (``source``,
    default: the store's) is found before any step is announced."""
    from api.catalog import Catalog
    from api.coverage.service import run_coverage

    def work(report: Callable[[str], None]) -> CoverageRun:
        found = _found_network(store, mode, source, report)
        report(f"measuring {mode} distances to {facilities} / 计算到设施的距离")
        return run_coverage(
            Catalog.build(store),
            facilities=facilities,
            demand=demand,
            radius_m=radius_m,
            tiers_m=tiers_m,
            mode=mode,
            weights=weights,
            network_source=found,
        )

    return run_with_progress("coverage / 覆盖分析", work)


def compute_by_district(
    store: Store,
    *,
    facilities: str,
    demand: str,
    radius_m: float | None,
    tiers_m: list[float] | None,
    mode: Literal["network", "euclidean"],
    weights: list[str] | None,
    scheduler: str,
    workers: int = 2,
    source: NetworkSource | None = None,
    pieces_dir: Path | None = None,
    location: str | None = None,
) -> CoverageRun:
    """:func:`compute` partitioned by district on Dask (``scheduler``: ``local``, ``none``
    or an address such as ``tcp://host:8786``); see :func:`geo.distributed.coverage_by_district`.

    The districts' pieces of network go to ``pieces_dir`` (default: beside a GeoPackage
    store, ``demo.gpkg`` → ``demo.pieces/``), or into the PostGIS store at ``location``
    (the URL the workers connect with), written once and read there by the workers."""
    from api.coverage.service import CoverageRun
    from api.errors import InvalidParameterError
    from geo.distributed import coverage_by_district

    where = _pieces_where(store, pieces_dir, location) if scheduler != "none" else {}

    kinds = {info.name: info.kind for info in store.layers()}
    for option, name in (("--facilities", facilities), ("--demand", demand)):
        if name not in kinds:
            raise InvalidParameterError(option, name, "no such layer", "没有该图层")

    def work(report: Callable[[str], None]) -> CoverageRun:
        net = _found_network(store, mode, source, report)(store) if mode == "network" else None
        report(f"partitioned by district on {scheduler} / 按区县分区计算")
        if "pieces_dir" in where:
            report(f"district pieces in {where['pieces_dir']} / 区县分片目录")
        result = coverage_by_district(
            store.read(demand),
            store.read(facilities),
            net,
            scheduler=None if scheduler == "none" else scheduler,
            n_workers=workers,
            kind=kinds[facilities],
            radius_m=radius_m,
            tiers_m=tiers_m,
            mode=mode,
            weights=weights,
            **where,
        )
        return CoverageRun(facilities, demand, result, None, net)

    return run_with_progress("coverage by district / 分区覆盖分析", work)


def _pieces_where(store: Store, pieces_dir: Path | None, location: str | None) -> dict[str, Any]:
    """Where the districts' pieces are kept: ``pieces_dir``, else beside a GeoPackage
    store, else in the PostGIS store at ``location``."""
    from api.network.service import store_file
    from layers.store import is_postgis_url

    if pieces_dir is None and (path := store_file(store)) is not None:
        pieces_dir = path.with_name(f"{path.stem}.pieces")
    if pieces_dir is not None:
        return {"pieces_dir": pieces_dir}
    if location is not None and is_postgis_url(location):
        return {"pieces_store": location}
    return {}


def _found_network(
    store: Store,
    mode: str,
    source: NetworkSource | None,
    report: Callable[[str], None],
) -> NetworkSource:
    """The network source of a run with its network already found (and announced) in
    network mode, so that no step is announced before a missing network is refused."""
    chosen = source or network_source(None)
    if mode != "network":
        return chosen
    net = chosen(store)
    report(f"walking network / 步行路网: {net!r}")
    return lambda _store: net


def _weight(run: CoverageRun, wanted: list[str] | None) -> str:
    names = run.result.weights
    return next(
        (w for w in [*(wanted or []), "elderly_60_plus", "population"] if w in names), "count"
    )


def division_names(store: Store, level: Level) -> dict[str, str]:
    """Names of the streets or districts by code (empty when the layer is absent)."""
    layer = {"street": "streets", "district": "districts"}.get(level)
    if layer is None or layer not in store:
        return {}
    frame = store.read(layer)
    if not {"code", "name"} <= set(frame.columns):
        return {}
    return dict(zip(frame["code"].astype(str), frame["name"].astype(str), strict=True))


def print_result(
    run: CoverageRun,
    *,
    level: Level,
    weight: str,
    top: int = TOP_GAPS,
    names: dict[str, str] | None = None,
) -> None:
    """The roll-up table at ``level`` (covered share of ``weight`` per tier, units named by
    ``names`` of their codes) and the top gaps."""
    from rich.table import Table

    from geo.coverage import tier_label

    result = run.result
    mode = "walking / 步行" if result.mode == "network" else "straight line / 直线"
    title = f"{run.facilities_layer} → {run.demand_layer}, {mode}, {weight} by {level}"
    table = Table(title=title)
    table.add_column(f"{level} / 单元")
    table.add_column(f"{weight} / 人数", justify="right")
    for r in result.tiers_m:
        table.add_column(f"≤ {tier_label(r)} / 覆盖率", justify="right")
    rows = result.demand if level == "community" else result.rollup(level, geometry=False)
    key = "name" if level == "community" and "name" in rows.columns else rows.columns[0]
    for _, row in rows.iterrows():
        shares = [f"{row[f'{weight}_covered_share_{tier_label(r)}']:.0%}" for r in result.tiers_m]
        label = str(row[key])
        label = f"{names[label]} {label}" if names and label in names else label
        table.add_row(label, f"{int(row[weight]):,}", *shares)
    total = result.summary()["weights"][weight]
    table.add_row(
        "total / 合计",
        f"{total['total']:,}",
        *(f"{t['share']:.0%}" for t in total["tiers"].values()),
    )
    out = console()
    out.print(table)
    gaps = result.gaps(by=weight).head(top)
    col = f"{weight}_uncovered_{tier_label(result.radius_m)}"
    out.print(
        f"top gaps beyond {tier_label(result.radius_m)} / 覆盖缺口（前 {top} 名）:", markup=False
    )
    for _, gap in gaps.iterrows():
        name = gap.get("name", gap.iloc[1])
        out.print(
            f"  {gap['rank']:>3}. {name}: {int(gap[col]):,} {weight} uncovered / 未覆盖",
            markup=False,
        )
    for note in run.notes:
        out.print(note, markup=False)


def write_result(
    run: CoverageRun,
    out: Path,
    *,
    level: Level = "street",
    names: dict[str, str] | None = None,
    store: str = "",
    lang: Lang = "zh",
    crs: str = "wgs84",
    demand_kind: str | None = None,
) -> Path:
    """Write the result to ``out``: ``.xlsx`` the coverage workbook, ``.csv`` its
    per-community table (:mod:`api.coverage.workbook`), GIS formats the per-unit layer;
    coordinates in ``crs`` (``gcj02``/``bd09`` for 高德/百度)."""
    from api.coverage.workbook import write_coverage
    from layers.coords import from_wgs84_frame
    from layers.io import write_file
    from layers.io.exports import add_data_columns

    if out.suffix.lower() in (".xlsx", ".csv"):
        return write_coverage(
            run, out, level=level, names=names or {}, store=store, lang=lang, crs=crs
        )
    layer = run.result.to_gdf()
    written = write_file(
        layer if crs == "wgs84" else from_wgs84_frame(layer, crs), out, layer="coverage"
    )
    if written.suffix.lower() == ".gpkg" and demand_kind:  # Chinese field names in QGIS
        add_data_columns(written, "coverage", demand_kind)
    return written


@app.callback()
@user_errors
def coverage_command(  # noqa: PLR0917 - one parameter per CLI option
    facilities: FacilitiesOption,
    demand: DemandOption = "communities",
    radius: RadiusOption = None,
    tiers: TiersOption = None,
    mode: ModeOption = "network",
    by: ByOption = "street",
    weight: WeightOption = None,
    out: OutOption = None,
    lang: LangOption = "zh",
    crs: ExportCrsOption = "wgs84",
    store: StoreOption = None,
    network: NetworkOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    pieces_dir: PiecesDirOption = None,
) -> None:
    """Coverage of a facility layer / 设施覆盖分析"""
    kind = check_options(mode=mode, by=by, radius=radius, tiers=tiers)
    level = cast(Level, by)
    with opened_store(store) as opened:
        run = (
            compute
            if scheduler is None
            else partial(
                compute_by_district,
                scheduler=scheduler,
                workers=workers,
                pieces_dir=pieces_dir,
                location=resolve_store(store),
            )
        )(
            opened,
            facilities=facilities,
            demand=demand,
            radius_m=radius,
            tiers_m=parse_tiers(tiers),
            mode=kind,
            weights=weight,
            source=network_source(network),
        )
        names = division_names(opened, level)
        every_name = {**division_names(opened, "street"), **names}
        url, demand_kind = opened.url, opened.info(demand).kind
    print_result(run, level=level, weight=_weight(run, weight), names=names)
    if out is not None:
        language = cast("Lang", lang if lang in ("zh", "en") else "zh")
        written = write_result(
            run, out, level=level, names=every_name, store=url, lang=language, crs=crs,
            demand_kind=demand_kind,
        )  # fmt: skip
        console().print(f"written / 已写入: {written}", markup=False)
