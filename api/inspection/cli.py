"""``mzgis inspection``: campaigns, members, records, progress, reports, audit.

The CLI acts on the store directly, as ``cli:<os user>`` in the audit log: whoever can run
it can read the file anyway. Passwords are read hidden from the terminal (or one line of
standard input with ``--password-stdin``), never from the command line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import StoreOption, cli_actor, console, opened_store, user_errors

__all__ = ["app"]

app = typer.Typer(
    name="inspection",
    help="Boundary inspection: campaigns, records, reports / 界线联检：批次、记录、报告",
    no_args_is_help=True,
)
Campaign_ = Annotated[str, typer.Argument(help="Campaign id, e.g. 2025-0001 / 联检批次编号")]


# -- campaigns and records --------------------------------------------------------------------


@app.command("campaign-add")
@user_errors
def campaign_add(  # noqa: PLR0917 - one parameter per CLI option
    campaign_id: Campaign_,
    line: Annotated[str, typer.Option(help="Line code, 4 digits / 界线编号")],
    round_no: Annotated[int, typer.Option("--round", min=1, help="Round / 联检轮次")],
    year: Annotated[int, typer.Option(help="Year / 年度")],
    name: Annotated[str, typer.Option(help="Name / 名称")] = "",
    store: StoreOption = None,
) -> None:
    """Open a campaign on a line / 新建联检批次"""
    from api.inspection.schemas import CampaignCreate
    from api.inspection.service import Register
    from layers.records import Campaign, open_record_store

    body = CampaignCreate(
        campaign_id=campaign_id, line_code=line, round_no=round_no, year=year, name=name
    )
    with opened_store(store, writes=True) as opened:
        attrs = Register(opened).line(body.line_code).attrs
        title = name or f"{year}年{attrs.get('name', line)}联检"
        campaign = Campaign(
            campaign_id, line, round_no, year, title, left_code=str(attrs["left_code"]),
            left_name=str(attrs["left_name"]), right_code=str(attrs["right_code"]),
            right_name=str(attrs["right_name"]),
        )  # fmt: skip
        open_record_store(opened).add_campaign(campaign, actor=cli_actor())
    console().print(f"campaign {campaign_id}: {title} / 已新建联检批次", markup=False)


@app.command("member-add")
@user_errors
def member_add(
    campaign_id: Campaign_,
    username: Annotated[str, typer.Argument(help="Login name / 用户名")],
    side: Annotated[str, typer.Option(help="left or right / 所代表的一侧")],
    store: StoreOption = None,
) -> None:
    """Add a member to a campaign for one side / 添加联检人员"""
    from layers.records import open_record_store

    with opened_store(store, writes=True) as opened:
        open_record_store(opened).add_member(campaign_id, username, side=side, actor=cli_actor())
    console().print(f"{username} joins {campaign_id} ({side}) / 已加入联检批次", markup=False)


@app.command("submit")
@user_errors
def submit(
    file: Annotated[Path, typer.Argument(help="JSON: one marker inspection or a list / 记录文件")],
    as_user: Annotated[str, typer.Option("--as", help="Inspector submitting / 提交人")],
    store: StoreOption = None,
) -> None:
    """Submit marker inspections exported from a field device (same checks as the API) /
    导入外业设备导出的界桩检查记录"""
    from api.inspection.schemas import MarkerInspectionCreate, canonical_body
    from api.inspection.service import Register, check_marker_inspection
    from geo.inspection import ArrivalRules
    from layers.records import open_record_store

    raw = json.loads(file.read_text(encoding="utf-8"))
    bodies = [
        MarkerInspectionCreate.model_validate(b) for b in (raw if isinstance(raw, list) else [raw])
    ]
    new = 0
    with opened_store(store, writes=True) as opened:
        records, register = open_record_store(opened), Register(opened)
        records.get_user(as_user)
        for body in bodies:
            campaign = records.get_campaign(body.campaign_id)
            computed = check_marker_inspection(body, campaign, register, rules=ArrivalRules())
            _, created = records.create_record(
                "marker", record_id=str(body.record_id), campaign_id=campaign.campaign_id,
                line_code=campaign.line_code, body=canonical_body(body), computed=computed,
                actor=as_user,
            )  # fmt: skip
            new += int(created)
    console().print(f"{new} new, {len(bodies) - new} already stored / 新增 {new} 条", markup=False)


@app.command("seed-demo")
@user_errors
def seed_demo(store: StoreOption = None) -> None:
    """Turn the demo's estimated inspections into records / 将示例联检数据转为记录（估算）"""
    from api.inspection.seed import seed_demo_records
    from layers.records import open_record_store

    with opened_store(store, writes=True) as opened:
        count = seed_demo_records(opened, open_record_store(opened))
    console().print(f"{count} demo records added / 新增 {count} 条示例记录", markup=False)


@app.command("progress")
@user_errors
def progress(campaign_id: Campaign_, store: StoreOption = None) -> None:
    """Progress of a campaign along its line / 联检进度"""
    from api.inspection.service import Register, campaign_progress
    from layers.records import open_record_store

    with opened_store(store) as opened:
        records = open_record_store(opened)
        summary = campaign_progress(records.get_campaign(campaign_id), records, Register(opened))
    s = summary.to_dict()
    out = console()
    out.print(
        f"{campaign_id} line {s['line_code']}: {s['covered_km']:.2f} of {s['length_km']:.2f} km"
        f" covered, {s['markers_inspected']}/{s['markers_total']} markers inspected,"
        f" {s['suspected_displaced']} suspected displaced / 已检 {s['covered_km']:.2f} 公里，"
        f"已检界桩 {s['markers_inspected']}/{s['markers_total']}",
        markup=False,
    )
    out.print("  " + "  ".join(f"{k} {v}" for k, v in s["by_condition"].items()), markup=False)


@app.command("report")
@user_errors
def report(
    campaign_id: Campaign_,
    out: Annotated[Path, typer.Argument(help="report.html, .xlsx or .gpkg / 输出文件")],
    store: StoreOption = None,
) -> None:
    """Export the campaign report (联检报告) / 导出联检报告"""
    from api.inspection.report import build_report, report_gpkg, report_xlsx
    from api.inspection.report_html import report_html
    from api.inspection.service import Register
    from layers.records import open_record_store, sha256_hex

    suffix = out.suffix.lower()
    if suffix not in (".html", ".xlsx", ".gpkg"):
        raise typer.BadParameter(
            "the output must end in .html, .xlsx or .gpkg / 输出文件须为 .html、.xlsx 或 .gpkg"
        )
    with opened_store(store) as opened:
        records = open_record_store(opened)
        built = build_report(
            records.get_campaign(campaign_id), records, Register(opened), generated_by=cli_actor()
        )
        if suffix == ".html":
            out.write_text(report_html(built), encoding="utf-8")
        elif suffix == ".xlsx":
            out.write_bytes(report_xlsx(built))
        else:
            report_gpkg(built, out)
        detail = {"format": suffix[1:], "sha256": sha256_hex(out.read_bytes()), "path": out.name}
        records.audit("report.export", f"campaign:{campaign_id}", detail, actor=cli_actor())
    console().print(f"wrote {out} / 已导出 {out}", markup=False)


@app.command("audit")
@user_errors
def audit(
    limit: Annotated[int, typer.Option(min=1, help="Entries to show / 显示条数")] = 20,
    store: StoreOption = None,
) -> None:
    """Verify the audit chain and show the latest entries / 校验审计链并显示最近记录"""
    from layers.records import open_record_store

    with opened_store(store) as opened:
        records = open_record_store(opened)
        check = records.verify_audit()
        entries = records.audit_log(after_seq=max(0, check.entries - limit))
    out = console()
    for e in entries:
        out.print(f"{e.seq:>6} {e.at} {e.actor:<16} {e.action:<16} {e.target}", markup=False)
    state = (
        "intact / 完整"
        if check.ok
        else f"BROKEN at {check.first_bad_seq}: {check.reason} / 已被篡改"
    )
    out.print(f"audit chain {state}, {check.entries} entries, head {check.head_hash}", markup=False)
    if not check.ok:
        raise typer.Exit(2)
