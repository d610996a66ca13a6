"""``mzgis layers``: list, import and export layers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli_common import StoreOption, console, opened_store, user_errors

__all__ = ["app"]

app = typer.Typer(
    name="layers",
    help="List, import and export layers / 图层列表、导入与导出",
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
    """Import a file as a layer, all or nothing / 导入数据文件为图层（全部成功或全部不导入）"""
    from layers.io import import_file
    from layers.schema import get_schema

    get_schema(kind)  # an unknown kind fails before the file is read
    options = _read_options(layer=layer, sheet=sheet, crs=crs, lon=lon, lat=lat, x=x, y=y)
    target = name or kind
    with opened_store(store) as opened:
        report = import_file(opened, file, name=target, kind=kind, **options)
    out = console()
    out.print(
        f"imported {report.rows} features into layer {target!r} ({kind})"
        f" / 已导入 {report.rows} 个要素到图层 {target!r}",
        markup=False,
    )
    for warning in report.warnings:
        out.print(f"  - warning / 警告: {warning}", markup=False)


@app.command("export")
@user_errors
def export_layer(
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
    store: StoreOption = None,
) -> None:
    """Export a layer (or the part inside --bbox) to a file / 导出图层（可按范围裁选）"""
    from api.layers.params import parse_bbox
    from layers.io import export_layer as export

    box = None if bbox is None else parse_bbox(bbox, name="--bbox")
    with opened_store(store) as opened:
        count = opened.count(name, bbox=box)
        path = export(opened, name, out, bbox=box)
    console().print(
        f"exported {count} features of {name!r} to {path} / 已导出 {count} 个要素到 {path}",
        markup=False,
    )
