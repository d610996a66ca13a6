"""``mzgis network build|info|check``: the walking network that coverage, siting and zones use.

``build`` reads the store's ``roads`` layer by default, or an OpenStreetMap file (``.osm``,
``.osm.xml``, ``.osm.gz``, ``.osm.bz2``, ``.osm.pbf``; ``--clip districts`` keeps it to a
polygon layer of the store with a margin), a
nodes/edges CSV pair (``nodes.csv --edges edges.csv``) or a road file (GeoPackage, GeoJSON,
Shapefile), shows the builder's progress, prints the build report and saves the network
where the service and the other commands look for it (:mod:`api.network.service`): beside
a GeoPackage store (``demo.gpkg`` → ``demo.network.npz``), inside a PostGIS store (keyed by
its ``roads`` layer), or to ``--out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli_common import (
    NetworkOption,
    StoreOption,
    console,
    err_console,
    network_source,
    opened_store,
    user_errors,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from geo.network import Network, Progress
    from geo.network.quality import NetworkQuality
    from layers.store import Store

__all__ = ["app", "build", "check", "info"]

app = typer.Typer(
    name="network",
    help="The walking network: build it, show it, check it / 步行路网：生成、查看与检查",
    no_args_is_help=True,
)

OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help=(
            "Network file (.npz); default: beside a GeoPackage store, inside a PostGIS store"
            " / 路网文件，默认与 GeoPackage 同目录、或保存在 PostGIS 数据库中"
        ),
        show_default=False,
    ),
]


def _classes(values: list[str] | None) -> list[str] | None:
    """``--include a,b --include c`` → ``["a", "b", "c"]``."""
    if not values:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def _with_progress(work: Callable[[Progress], Network]) -> Network:
    """Run a build under a rich progress bar fed by the builder's ``progress(stage, f)``."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console(), transient=True) as bar:
        task = bar.add_task("building the walking network / 正在生成步行路网", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=f"{stage} / 路网生成")

        return work(report)


def _file_target(store: str | None, out: Path | None) -> Path | None:
    """The network file: ``--out``, else beside a GeoPackage store; ``None`` for a server
    store (its network is kept inside it)."""
    from api.cli_common import resolve_store
    from geo.network import network_path_for
    from layers.store import is_postgis_url

    if out is not None:
        return out
    location = resolve_store(store)
    return None if is_postgis_url(location) else network_path_for(location)


def _save_in_server(opened: Store, network: Network) -> str:
    """Keep ``network`` inside a server store, keyed by its ``roads`` layer (or by its
    source when the store has none)."""
    from api.network.service import NETWORK_ARTIFACT, ROADS_LAYER, save_store_network
    from geo.network import network_to_bytes
    from layers._errors import UnknownLayerError

    try:
        roads = opened.info(ROADS_LAYER)
    except UnknownLayerError:  # kept as the store's network until a roads layer arrives
        key = f"source:{network.report.source}"
        opened.put_artifact(NETWORK_ARTIFACT, network_to_bytes(network), key=key)
        return f"{opened.url} ({NETWORK_ARTIFACT})"
    return save_store_network(opened, network, roads)


def _server_network(opened: Store) -> tuple[Network, bool]:
    """The network kept inside a server store, and whether its roads layer is unchanged."""
    from api.network.service import NETWORK_ARTIFACT, ROADS_LAYER, network_key
    from geo._errors import NetworkError
    from geo.network import network_from_bytes
    from layers._errors import UnknownLayerError

    info = opened.artifact_info(NETWORK_ARTIFACT)
    data = None if info is None else opened.get_artifact(NETWORK_ARTIFACT, key=info.key)
    if info is None or data is None:
        msg = f"no walking network saved in {opened.url} / 数据库中没有保存步行路网"
        raise NetworkError(msg)
    try:
        fresh = info.key == network_key(opened.info(ROADS_LAYER))
    except UnknownLayerError:
        fresh = True  # nothing to be older than
    return network_from_bytes(data, label=NETWORK_ARTIFACT), fresh


def _print_report(network: Network, target: str) -> None:
    from rich.table import Table

    r = network.report
    table = Table(title=f"walking network / 步行路网: {r.source}")
    table.add_column("")
    table.add_column("kept / 保留", justify="right")
    table.add_column("dropped / 剔除", justify="right")
    table.add_row("ways read / 读入道路", f"{r.ways:,}", f"{r.filtered_ways:,} filtered / 不可步行")
    if r.cut_ways or r.outside_ways:
        table.add_row(
            "ways cut at missing nodes / 在缺失节点处切断",
            f"{r.cut_ways:,}",
            f"{r.outside_ways:,} left out / 舍弃",
        )
    table.add_row("nodes / 节点", f"{r.nodes:,}", f"{r.dropped_nodes:,}")
    table.add_row("edges / 边", f"{r.edges:,}", f"{r.dropped_edges:,}")
    table.add_row(
        "length km / 长度", f"{r.length_m / 1000:,.1f}", f"{r.dropped_length_m / 1000:,.1f}"
    )
    table.add_row("disconnected parts / 不连通部分", "1", f"{r.dropped_components:,}")
    out = console()
    out.print(table)
    if r.filtered_classes:
        shown = ", ".join(f"{k} {v:,}" for k, v in r.filtered_classes.items())
        out.print(f"not walkable, filtered out / 不可步行已剔除: {shown}", markup=False)
    out.print(r.summary(), markup=False)
    out.print(f"saved to / 已保存至: {target}", markup=False)
    out.print("check it / 检查路网质量: mzgis network check", markup=False)


@app.command()
@user_errors
def build(  # noqa: PLR0917 - one parameter per CLI option
    source: Annotated[
        Path | None,
        typer.Argument(
            help=(
                "OSM .osm .osm.xml .osm.gz .osm.bz2 .osm.pbf, nodes CSV (with --edges), or"
                " road file; default: the store's roads layer"
                " / 路网来源：OSM 文件、节点表或道路文件，默认取数据中的道路图层"
            ),
            show_default=False,
        ),
    ] = None,
    edges: Annotated[
        Path | None, typer.Option(help="Edges CSV of a nodes/edges pair / 边表 CSV")
    ] = None,
    store: StoreOption = None,
    out: OutOption = None,
    include: Annotated[
        list[str] | None,
        typer.Option(help="Keep only these highway classes (a,b,...) / 仅保留这些道路等级"),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Drop these highway classes (default: not walkable) / 剔除道路等级"),
    ] = None,
    respect_oneway: Annotated[
        bool,
        typer.Option("--respect-oneway", help="Walk one-way streets one way only / 步行也遵守单行"),
    ] = False,
    clip: Annotated[
        str | None,
        typer.Option(
            help="Keep an OSM file's roads within this polygon layer of the store, e.g."
            " districts / 仅保留该面图层（如 districts）范围内的 OSM 道路",
            show_default=False,
        ),
    ] = None,
    clip_margin_m: Annotated[
        float, typer.Option(min=0.0, help="Margin around --clip, m / 裁剪范围外扩（米）")
    ] = 1000.0,
) -> None:
    """Build the walking network and save it / 生成并保存步行路网"""
    from geo.network import WALK_EXCLUDED_HIGHWAYS, save_network

    target = _file_target(store, out)
    keep, drop = _classes(include), _classes(exclude) or WALK_EXCLUDED_HIGHWAYS

    def built(opened: Store | None) -> Network:
        clipping = {} if clip is None else _clip_options(source, opened, clip, clip_margin_m)
        return _built(
            source,
            edges,
            opened,
            include_highways=keep,
            exclude_highways=drop,
            respect_oneway=respect_oneway,
            **clipping,
        )

    if source is not None and target is not None and clip is None:  # no store needed
        network = built(None)
        saved = str(save_network(network, target))
    else:
        with opened_store(store) as opened:
            network = built(opened)
            if target is None:
                saved = _save_in_server(opened, network)
            else:
                saved = str(save_network(network, target))
    _print_report(network, saved)


def _clip_options(
    source: Path | None, opened: Store | None, layer: str, margin_m: float
) -> dict[str, Any]:
    """The ``clip=`` options of an OSM build: the store's polygon layer and the margin."""
    from api.errors import InvalidParameterError
    from geo.network.osm import OSM_SUFFIXES

    if source is None or not source.name.lower().endswith(OSM_SUFFIXES):
        en, zh = "--clip applies to an OpenStreetMap file", "--clip 仅用于 OSM 文件"
        raise InvalidParameterError("--clip", layer, en, zh)
    assert opened is not None
    if layer not in opened:
        raise InvalidParameterError("--clip", layer, "no such layer", "没有该图层")
    return {"clip": opened.read(layer), "clip_margin_m": margin_m}


def _built(
    source: Path | None,
    edges: Path | None,
    opened: Store | None,
    *,
    include_highways: list[str] | None,
    exclude_highways: Collection[str],
    respect_oneway: bool,
    **clipping: Any,
) -> Network:
    """The network of ``source``, else of the store's roads layer, under a progress bar."""
    from api.network.service import build_store_network
    from geo.network import build_network

    if source is None:
        assert opened is not None
        return _with_progress(
            lambda p: build_store_network(
                opened,
                include_highways=include_highways,
                exclude_highways=exclude_highways,
                respect_oneway=respect_oneway,
                progress=p,
            )
        )
    return _with_progress(
        lambda p: build_network(
            source,
            edges=edges,
            include_highways=include_highways,
            exclude_highways=exclude_highways,
            respect_oneway=respect_oneway,
            progress=p,
            **clipping,
        )
    )


@app.command()
@user_errors
def info(store: StoreOption = None, path: OutOption = None) -> None:
    """Show the saved walking network and whether it is up to date / 查看已保存的步行路网"""
    from api.network.service import ROADS_LAYER, network_is_fresh
    from geo.network import load_network

    target = _file_target(store, path)
    if target is None:
        with opened_store(store) as opened:
            network, fresh = _server_network(opened)
            where = opened.url
    else:
        network, fresh, where = load_network(target), True, str(target)
        if path is None:
            with opened_store(store) as opened:
                roads = next((i for i in opened.layers() if i.name == ROADS_LAYER), None)
            fresh = roads is None or network_is_fresh(target, roads)
    out = console()
    out.print(
        f"{where}: {network.n_nodes:,} nodes / 节点, {network.n_edges:,} edges / 边",
        markup=False,
    )
    out.print(network.report.summary(), markup=False)
    if not fresh:
        out.print(
            "older than the roads layer: run `mzgis network build` again"
            " / 早于道路图层，请重新生成",
            markup=False,
        )


@app.command()
@user_errors
def check(  # noqa: PLR0917 - one parameter per CLI option
    store: StoreOption = None,
    network: NetworkOption = None,
    demand: Annotated[
        str, typer.Option(help="Demand layer for detours ('' for none) / 需求图层")
    ] = "communities",
    targets: Annotated[
        str,
        typer.Option(help="Facilities to walk to ('' for the nearest unit) / 目标设施图层"),
    ] = "stations",
    detour_ratio: Annotated[
        float, typer.Option(min=1.0, help="Walk / straight line flagged / 绕行比阈值")
    ] = 3.0,
    top: Annotated[int, typer.Option(min=0, help="Findings listed / 列出的问题数")] = 15,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Every finding: .gpkg .geojson .csv .xlsx / 全部问题输出文件", show_default=False
        ),
    ] = None,
) -> None:
    """Check the walking network: parts, dead ends, missing links, chords, detours
    / 检查步行路网：不连通部分、断头路、疑似缺失连接、长直线边、绕行异常"""
    from api.catalog import Catalog
    from api.network.quality import store_quality
    from geo.network.quality import QualityOptions
    from layers.io import write_file

    with opened_store(store) as opened:
        net = network_source(network)(opened)
        quality = store_quality(
            Catalog.build(opened),
            net,
            demand=demand or None,
            targets=targets or None,
            options=QualityOptions(detour_ratio=detour_ratio),
        )
    _print_quality(quality, top)
    if out is not None:
        written = write_file(quality.to_gdf(), out, layer="network_findings")
        console().print(f"written / 已写入: {written}", markup=False)


def _print_quality(quality: NetworkQuality, top: int) -> None:
    from rich.table import Table

    from geo.network.quality import KINDS, SEVERITIES

    out = console()
    for line in quality.summary_text():
        out.print(line, markup=False)
    if top == 0 or quality.findings.empty:
        return
    table = Table(title=f"worst {top} findings / 最需关注的 {top} 项")
    for name in ("severity / 严重程度", "kind / 类型", "where / 位置", "finding / 说明"):
        table.add_column(name)
    for row in quality.to_gdf().head(top).itertuples():
        table.add_row(
            SEVERITIES[str(row.severity)],
            KINDS[str(row.kind)],
            f"{row.lon:.5f}, {row.lat:.5f}",
            f"{row.explanation_zh} / {row.explanation_en}",
        )
    out.print(table)
