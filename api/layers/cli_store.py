"""``mzgis store``: back up and restore a whole store (layers, inspection records, photos,
zone plans, users, audit log) as one verified GeoPackage file, optionally encrypted; copy a
store between a GeoPackage file and PostGIS; grant a PostGIS store to the role the service
runs as. Backups and copies read one consistent snapshot of a live store
(:mod:`layers.records.backup`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_common import console, run_with_progress, user_errors

if TYPE_CHECKING:
    from layers.store.copy import CopyResult

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
    from layers.records.backup import copy_live
    from layers.store import open_store

    src = open_store(source)
    try:
        result, rows, url = run_with_progress(
            "copying the store / 正在复制存储",
            lambda report: copy_live(
                src,
                target,
                names=layer or None,
                replace=replace,
                records=records and not layer,
                progress=report,
            ),
        )
        title = f"{src.url} → {url}"
    finally:
        src.close()
    _print_copied(result, rows, title=title)


def _print_copied(result: CopyResult, rows: dict[str, int], *, title: str) -> None:
    """What ``store copy`` copied: the layers' table, their histories, the records."""
    from rich.table import Table

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
        f"copied {len(result.counts)} layers, {total:,} features, the history of"
        f" {len(result.lineages)} (verified)"
        f" / 已复制 {len(result.counts)} 个图层，共 {total:,} 个要素，"
        f"{len(result.lineages)} 个图层的版本历史（已校验）",
        markup=False,
    )
    if result.history_left:
        left = ", ".join(result.history_left)
        out.print(
            f"{left}: the target's own history kept, the copy is a new version on top"
            f" / {left}：保留目标中原有的版本历史，复制内容为其上的新版本",
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


PassphraseEnv = Annotated[
    str | None,
    typer.Option(
        help="Read the passphrase from this environment variable (else it is asked for)"
        " / 从该环境变量读取加密口令（否则交互输入）"
    ),
]


@app.command("backup")
@user_errors
def backup(
    source: Annotated[str, typer.Argument(help="The store: .gpkg or postgresql:// / 要备份的存储")],
    target: Annotated[str, typer.Argument(help="The new backup file / 新的备份文件")],
    encrypt: Annotated[
        bool, typer.Option(help="Encrypt with a passphrase (AES-256-GCM) / 用口令加密")
    ] = False,
    passphrase_env: PassphraseEnv = None,
) -> None:
    """Back up a live store into one new file (layers with their earlier versions, records,
    users, plans, audit log), verified before success (row counts, layer histories, audit
    chain, photo hashes); a failed backup leaves no file
    / 备份在用存储（含图层历史版本、记录、用户、方案、审计日志）到一个新文件，校验通过才算成功；
    失败不留下文件"""
    from layers.records.backup import backup_store
    from layers.store import open_store

    passphrase = _passphrase(passphrase_env, confirm=True) if encrypt or passphrase_env else None
    opened = open_store(source)
    try:
        result = run_with_progress(
            "backing up / 正在备份",
            lambda report: backup_store(opened, target, passphrase=passphrase, progress=report),
        )
    finally:
        opened.close()
    _report(result, "backed up", "已备份")


@app.command("restore")
@user_errors
def restore(
    backup_file: Annotated[str, typer.Argument(help="A backup file / 备份文件")],
    target: Annotated[
        str, typer.Argument(help="A new .gpkg, or a postgresql:// store without records / 恢复目标")
    ],
    replace: Annotated[
        bool,
        typer.Option(
            help="Replace layers the PostGIS target already has / 替换目标中已有的同名图层"
        ),
    ] = False,
    passphrase_env: PassphraseEnv = None,
) -> None:
    """Verify a backup, then restore it into a new GeoPackage file or an empty PostGIS store
    / 校验备份后恢复到新的 GeoPackage 文件或没有记录的 PostGIS 存储"""
    from layers.records.backup import restore_store
    from layers.store.crypt import is_encrypted

    passphrase = None
    if Path(backup_file).is_file() and is_encrypted(backup_file):
        passphrase = _passphrase(passphrase_env, confirm=False)
    result = run_with_progress(
        "restoring / 正在恢复",
        lambda report: restore_store(
            backup_file, target, passphrase=passphrase, replace=replace, progress=report
        ),
    )
    _report(result, "restored", "已恢复")


def _passphrase(env: str | None, *, confirm: bool) -> str:
    if env:
        value = os.environ.get(env)
        if not value:
            from layers._errors import StoreError

            raise StoreError(f"environment variable {env} is empty / 环境变量 {env} 为空")
        return value
    asked = typer.prompt("passphrase / 加密口令", hide_input=True, confirmation_prompt=confirm)
    return str(asked)


def _report(result: object, en: str, zh: str) -> None:
    from layers.records.backup import BackupResult

    assert isinstance(result, BackupResult)
    records = result.counts.get("mzgis_marker_inspections", 0)
    records += result.counts.get("mzgis_segment_checks", 0)
    layers = sum(1 for name in result.counts if not name.startswith("mzgis_"))
    sealed = " (encrypted / 已加密)" if result.encrypted else ""
    console().print(
        f"{en} {result.path}{sealed}: {layers} layers with {result.layer_versions:,} earlier"
        f" versions, {records:,} records, {result.photos:,} photos, {result.audit_entries:,}"
        f" audit entries (chain verified), {result.size_bytes / 1e6:.1f} MB in"
        f" {result.seconds:.2f} s / {zh} {result.path}：{layers} 个图层（含"
        f" {result.layer_versions:,} 个历史版本）、{records:,} 条记录、{result.photos:,} 张照片、"
        f"{result.audit_entries:,} 条审计记录（哈希链已校验）",
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
