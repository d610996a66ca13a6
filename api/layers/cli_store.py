"""``mzgis store``: copy a whole store (layers, inspection records, audit log) between a
GeoPackage file and PostGIS, and grant a PostGIS store to the role the service runs as."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli_common import console, run_with_progress, user_errors

__all__ = ["app"]

app = typer.Typer(
    name="store",
    help="Copy stores between GeoPackage and PostGIS / 在 GeoPackage 与 PostGIS 之间复制存储",
    no_args_is_help=True,
)


@app.command("copy")
@user_errors
def copy(
    source: Annotated[
        str, typer.Argument(help="Source: a .gpkg path or a postgresql:// URL / 源存储")
    ],
    target: Annotated[
        str,
        typer.Argument(help="Target, created when missing: .gpkg or postgresql:// / 目标存储"),
    ],
    layer: Annotated[
        list[str] | None,
        typer.Option(help="Copy only this layer (repeatable) / 只复制该图层（可重复）"),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(help="Replace layers the target already has / 替换目标中已有的同名图层"),
    ] = False,
    records: Annotated[
        bool,
        typer.Option(
            help="Copy inspection records and their audit log too (whole stores only)"
            " / 同时复制联检记录与审计日志（仅整库复制）"
        ),
    ] = True,
) -> None:
    """Copy every layer (or --layer ones) and the inspection records from SOURCE to TARGET,
    losing nothing / 将源存储的全部图层与联检记录复制到目标存储，不丢失任何数据"""
    from rich.table import Table

    from layers.records.copy import copy_store_and_records
    from layers.store import open_store

    src = open_store(source)
    try:
        dst = open_store(target)
        try:
            result, rows = run_with_progress(
                "copying the store / 正在复制存储",
                lambda report: copy_store_and_records(
                    src,
                    dst,
                    names=layer or None,
                    replace=replace,
                    records=records and not layer,
                    progress=report,
                ),
            )
            title = f"{src.url} → {dst.url}"
        finally:
            dst.close()
    finally:
        src.close()
    table = Table(title=title)
    table.add_column("layer / 图层")
    table.add_column("features / 要素数", justify="right")
    table.add_column("version / 版本", justify="right")
    for name, count in result.counts.items():
        table.add_row(name, f"{count:,}", str(result.versions[name]))
    out = console()
    out.print(table)
    total = sum(result.counts.values())
    out.print(
        f"copied {len(result.counts)} layers, {total:,} features"
        f" / 已复制 {len(result.counts)} 个图层，共 {total:,} 个要素",
        markup=False,
    )
    if rows:
        records_copied = rows["mzgis_marker_inspections"] + rows["mzgis_segment_checks"]
        out.print(
            f"copied {records_copied:,} inspection records, {rows['mzgis_photos']:,} photos,"
            f" {rows['mzgis_audit']:,} audit entries (chain verified)"
            f" / 已复制 {records_copied:,} 条联检记录、{rows['mzgis_photos']:,} 张照片、"
            f"{rows['mzgis_audit']:,} 条审计记录（哈希链已校验）",
            markup=False,
        )
        plans, versions = rows.get("mzgis_zone_plans", 0), rows.get("mzgis_zone_plan_versions", 0)
        out.print(
            f"copied {plans:,} zone plans ({versions:,} versions)"
            f" / 已复制 {plans:,} 个责任片区方案（{versions:,} 个版本）",
            markup=False,
        )


@app.command("grant")
@user_errors
def grant(
    role: Annotated[
        str, typer.Argument(help="The role the service connects as / 服务使用的数据库角色")
    ],
    store: Annotated[
        str,
        typer.Option(
            "--store",
            help=(
                "The PostGIS store, as its owner: postgresql://owner@host/db"
                " / 以属主身份连接的 PostGIS 存储"
            ),
        ),
    ],
) -> None:
    """Let ROLE use a PostGIS store: write layers and records, only read and append the audit
    log / 授权服务角色使用 PostGIS 存储：可写图层与记录，审计日志只能读取和追加"""
    from layers._errors import StoreError
    from layers.records.postgis import grant_app_role
    from layers.store import is_postgis_url, open_store
    from layers.store.postgis import PostGISStore

    if not is_postgis_url(store):
        raise StoreError(f"{store!r} is not a postgresql:// URL / 仅适用于 PostGIS 存储")
    opened = open_store(store)
    try:
        if isinstance(opened, PostGISStore):
            grant_app_role(opened, role)
        url = opened.url
    finally:
        opened.close()
    console().print(
        f"granted {url} to role {role!r}: layers and records read-write, audit log append-only"
        f" / 已授权角色 {role!r}：图层与记录可读写，审计日志只能追加",
        markup=False,
    )
