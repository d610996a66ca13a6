"""``mzgis layers``: list, import and export layers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli_common import StoreOption, console, opened_store, user_errors

if TYPE_CHECKING:
    from layers.io import ImportReport
    from layers.io.sheets import Lang
    from layers.store import Store

__all__ = ["app"]

app = typer.Typer(
    name="layers",
    help="List, import, export and restore layers / 图层列表、导入、导出与版本恢复",
    no_args_is_help=True,
)


@app.command("list")
@user_errors
def list_layers(store: StoreOption = None) -> None:
    """List the layers: name, kind, count, version / 列出图层：名称、类型、要素数、版本"""
    from rich.table import Table

    from layers.schema import SCHEMAS

    with opened_store(store) as opened:
        infos = opened.layers()
        url = opened.url
    table = Table(title=f"{url}: {len(infos)} layers / {len(infos)} 个图层")
    table.add_column("name/名称", no_wrap=True)
    table.add_column("kind/类型")
    table.add_column("count/数量", justify="right")
    table.add_column("version/版本", justify="right")
    for info in infos:
        schema = SCHEMAS.get(info.kind)
        kind = f"{info.kind} {schema.zh}" if schema else info.kind
        table.add_row(info.name, kind, f"{info.count:,}", str(info.version))
    console().print(table)


def _read_options(
    *,
    layer: str | None,
    sheet: str | None,
    crs: str | None,
    lon: str | None,
    lat: str | None,
    x: str | None,
    y: str | None,
) -> dict[str, Any]:
    from api.errors import InvalidParameterError

    for (a, value_a), (b, value_b) in ((("lon", lon), ("lat", lat)), (("x", x), ("y", y))):
        if (value_a is None) != (value_b is None):
            given, missing = (a, b) if value_a is not None else (b, a)
            raise InvalidParameterError(
                f"--{missing}",
                None,
                f"--{given} needs --{missing}",
                f"--{given} 需要同时给出 --{missing}",
            )
    if lon is not None and x is not None:
        raise InvalidParameterError(
            "--x", x, "give either --lon/--lat or --x/--y", "--lon/--lat 与 --x/--y 只能二选一"
        )
    options = {"layer": layer, "sheet": sheet, "crs": crs, "lon": lon, "lat": lat, "x": x, "y": y}
    return {k: v for k, v in options.items() if v is not None}


def _column_map(pairs: list[str] | None) -> dict[str, str]:
    """``--map 日供餐能力=meals_per_day`` (repeatable) as a dict."""
    from api.errors import InvalidParameterError

    out: dict[str, str] = {}
    for pair in pairs or []:
        header, sep, field = pair.partition("=")
        if not sep or not header.strip() or not field.strip():
            raise InvalidParameterError(
                "--map", pair, "write --map HEADER=FIELD", "格式应为 --map 表头=字段名"
            )
        out[header.strip()] = field.strip()
    return out


MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="HEADER=FIELD, e.g. 供餐量=meals_per_day (repeatable) / 表头=字段名（可重复）",
        show_default=False,
    ),
]
ModeOption = Annotated[
    str | None,
    typer.Option(
        help="Into an existing layer: append, upsert (by id) or replace"
        " / 导入已有图层：append 追加、upsert 按编号更新、replace 替换",
        show_default=False,
    ),
]


@app.command("import")
@user_errors
def import_layer(  # noqa: PLR0917 - one parameter per CLI option
    file: Annotated[
        Path, typer.Argument(help="GeoPackage, GeoJSON, Shapefile, CSV or XLSX / 数据文件")
    ],
    kind: Annotated[str, typer.Option(help="Layer kind, e.g. stations / 图层类型，如 stations")],
    name: Annotated[
        str | None, typer.Option(help="Layer name (default: the kind) / 图层名（默认同类型）")
    ] = None,
    mode: ModeOption = None,
    column_map: MapOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and show, write nothing / 只检查不写入")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm a replace / 确认替换")] = False,
    create: Annotated[
        bool, typer.Option("--create", help="Create the store if missing / 存储不存在时新建")
    ] = False,
    crs: Annotated[
        str | None, typer.Option(help="wgs84, cgcs2000, gcj02, bd09 or an EPSG code / 坐标系")
    ] = None,
    lon: Annotated[str | None, typer.Option(help="Longitude column / 经度列")] = None,
    lat: Annotated[str | None, typer.Option(help="Latitude column / 纬度列")] = None,
    x: Annotated[str | None, typer.Option(help="Projected x (easting) column / 横坐标列")] = None,
    y: Annotated[str | None, typer.Option(help="Projected y (northing) column / 纵坐标列")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name / 工作表名")] = None,
    layer: Annotated[
        str | None, typer.Option(help="Layer inside a GeoPackage / 文件内图层名")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Import a file as a layer, all or nothing; the previous version is kept
    / 导入数据文件为图层（全部成功或全部不导入），保留上一版本"""
    from layers.schema import get_schema

    get_schema(kind)  # an unknown kind fails before the file is read
    options = _read_options(layer=layer, sheet=sheet, crs=crs, lon=lon, lat=lat, x=x, y=y)
    options |= {"mode": mode, "column_map": _column_map(column_map), "dry_run": dry_run}
    target = name or kind
    with opened_store(store, create=create, writes=not dry_run) as opened:
        report = _import_confirmed(opened, file, name=target, kind=kind, yes=yes, **options)
        url = opened.url
    _print_import(report, target=target, url=url)


def _import_confirmed(
    store: Store, file: Path, *, name: str, kind: str, yes: bool, **options: Any
) -> ImportReport:
    """Import; a replace not confirmed by --yes asks on a terminal (and refuses elsewhere)."""
    import sys

    from layers import ConfirmationRequiredError
    from layers.io import import_file

    try:
        return import_file(store, file, name=name, kind=kind, confirm=yes, **options)
    except ConfirmationRequiredError as exc:
        if not sys.stdin.isatty():
            raise
        console().print(str(exc), markup=False)
        typer.confirm("replace? / 确认替换？", abort=True)
        return import_file(store, file, name=name, kind=kind, confirm=True, **options)


def _print_import(report: ImportReport, *, target: str, url: str) -> None:
    out = console()
    if report.mapping is not None:
        out.print("columns / 列:", *report.mapping.lines(), sep="\n", markup=False)
    if report.plan is not None:
        out.print(*report.plan.lines(), sep="\n", markup=False)
    if report.written is None:
        out.print(
            f"dry run: {report.rows} valid features, nothing written to {url}"
            f" / 试运行：{report.rows} 个要素有效，未写入",
            markup=False,
        )
        out.print(report.preview.to_string(index=False, max_colwidth=24), markup=False)
    else:
        out.print(
            f"imported {report.rows} features into layer {target!r} ({report.kind}) of {url},"
            f" now version {report.written.version} with {report.written.count} features"
            f" / 已导入 {report.rows} 个要素到 {url} 的图层 {target!r}"
            f"（版本 {report.written.version}）",
            markup=False,
        )
    for warning in report.warnings:
        out.print(f"  - warning / 警告: {warning}", markup=False)


@app.command("history")
@user_errors
def history(
    name: Annotated[str, typer.Argument(help="Layer name / 图层名")],
    store: StoreOption = None,
) -> None:
    """Versions of a layer: when (Beijing time), what, how many; which can be restored
    / 图层版本历史：时间（北京时间）、来源、要素数、可否恢复"""
    from rich.table import Table

    with opened_store(store) as opened:
        versions = opened.history(name)
        url = opened.url
    table = Table(title=f"{name} @ {url}")
    for header in (
        "version/版本",
        "time (Beijing)/时间",
        "source/来源",
        "count/数量",
        "kept/可恢复",
    ):
        table.add_column(header)
    for v in versions:
        state = "current / 当前" if v.current else ("yes / 是" if v.kept else "no / 否")
        count = "" if v.row_count is None else f"{v.row_count:,}"
        table.add_row(str(v.version), v.beijing, v.source, count, state)
    console().print(table)


@app.command("restore")
@user_errors
def restore(
    name: Annotated[str, typer.Argument(help="Layer name / 图层名")],
    version: Annotated[int, typer.Argument(help="Version to bring back / 要恢复的版本")],
    store: StoreOption = None,
) -> None:
    """Bring back an earlier version as a new version (itself undoable)
    / 恢复图层的早期版本（作为新版本写入，可再撤销）"""
    from api.cli_common import cli_actor

    with opened_store(store, writes=True) as opened:
        note = f"restore of version {version} by {cli_actor()} / 恢复版本 {version}"
        info = opened.restore(name, version, source=note)
        url = opened.url
    console().print(
        f"restored version {version} of {name!r} in {url}: now version {info.version}"
        f" with {info.count} features / 已恢复版本 {version}，当前为版本 {info.version}",
        markup=False,
    )


@app.command("export")
@user_errors
def export_layer(  # noqa: PLR0917 - one parameter per CLI option
    name: Annotated[str, typer.Argument(help="Layer name / 图层名")],
    out: Annotated[
        Path, typer.Argument(help="Output file: .gpkg .geojson .shp .csv .xlsx / 输出文件")
    ],
    bbox: Annotated[
        str | None,
        typer.Option(
            help="min lon,min lat,max lon,max lat / 范围：最小经度,最小纬度,最大经度,最大纬度"
        ),
    ] = None,
    crs: Annotated[
        str,
        typer.Option(help="wgs84, or gcj02 (AMap) / bd09 (Baidu) to paste into web maps / 坐标系"),
    ] = "wgs84",
    lang: Annotated[str, typer.Option(help="zh or en headers / 表头语言")] = "zh",
    store: StoreOption = None,
) -> None:
    """Export a layer (or the part inside --bbox) to a file: .xlsx/.csv for people, .gpkg
    (with Chinese field aliases), .geojson, .shp for GIS / 导出图层（可按范围裁选）"""
    from api.layers.params import parse_bbox
    from layers.io import export_layer as export

    box = None if bbox is None else parse_bbox(bbox, name="--bbox")
    with opened_store(store) as opened:
        count = opened.count(name, bbox=box)
        path = export(opened, name, out, bbox=box, crs=crs, lang=_lang(lang))
    console().print(
        f"exported {count} features of {name!r} to {path} / 已导出 {count} 个要素到 {path}",
        markup=False,
    )


def _lang(value: str) -> Lang:
    from api.errors import InvalidParameterError

    if value not in ("zh", "en"):
        raise InvalidParameterError("--lang", value, "must be zh or en", "须为 zh 或 en")
    return "en" if value == "en" else "zh"
