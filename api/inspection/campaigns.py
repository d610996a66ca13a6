"""``/inspections/campaigns`` and ``/inspections/audit``: campaigns and their members,
progress along the line, the campaign report (HTML, XLSX, GeoPackage) and the audit log.

Every export is appended to the audit log with the SHA-256 of what was sent, so a filed
report can be matched to its entry.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.auth import (
    Auditor,
    Exporter,
    Planner,
    Reader,
    RecordsDep,
    require_campaign,
    visible_campaigns,
)
from api.errors import ErrorBody
from api.inspection.deps import RegisterDep
from api.inspection.report import CampaignReport, build_report, report_gpkg, report_xlsx
from api.inspection.report_html import report_html
from api.inspection.schemas import (
    AuditCheckPublic,
    AuditEntryPublic,
    CampaignCreate,
    CampaignPublic,
    MemberPublic,
    MemberPut,
    ProgressPublic,
)
from api.inspection.service import Register, campaign_progress
from api.schemas import MAX_OFFSET
from layers.records import Campaign, RecordStore, User, sha256_hex

__all__ = ["router"]

router = APIRouter(tags=["inspections / 界线联检"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"


def _campaign_public(campaign: Campaign, records: RecordStore) -> dict[str, Any]:
    members = [
        {"username": m.username, "side": m.side} for m in records.members(campaign.campaign_id)
    ]
    return {**campaign.to_public(), "members": members}


def _visible_campaign(records: RecordStore, user: User, campaign_id: str) -> Campaign:
    campaign = records.get_campaign(campaign_id)
    require_campaign(user, records, campaign_id)
    return campaign


@router.get("/campaigns", response_model=list[CampaignPublic], summary="Campaigns / 联检批次")
def list_campaigns(user: Reader, records: RecordsDep) -> list[dict[str, Any]]:
    visible = visible_campaigns(user, records)
    return [_campaign_public(c, records) for c in records.list_campaigns(campaign_ids=visible)]


@router.post(
    "/campaigns",
    status_code=201,
    response_model=CampaignPublic,
    summary="Open a campaign / 新建联检批次",
    responses={409: {"model": ErrorBody, "description": "Campaign id taken / 批次编号已存在"}},
)
def create_campaign(
    body: CampaignCreate, user: Planner, records: RecordsDep, register: RegisterDep
) -> dict[str, Any]:
    line = register.line(body.line_code).attrs
    campaign = Campaign(
        body.campaign_id,
        body.line_code,
        body.round_no,
        body.year,
        body.name or f"{body.year}年{line.get('name', body.line_code)}联检",
        left_code=str(line["left_code"]),
        left_name=str(line["left_name"]),
        right_code=str(line["right_code"]),
        right_name=str(line["right_name"]),
    )
    return _campaign_public(records.add_campaign(campaign, actor=user.username), records)


@router.get(
    "/campaigns/{campaign_id}", response_model=CampaignPublic, summary="One campaign / 单个联检批次"
)
def get_campaign(campaign_id: str, user: Reader, records: RecordsDep) -> dict[str, Any]:
    return _campaign_public(_visible_campaign(records, user, campaign_id), records)


@router.put(
    "/campaigns/{campaign_id}/members/{username}",
    response_model=MemberPublic,
    summary="Add a member / 添加联检人员",
)
def put_member(
    campaign_id: str, username: str, body: MemberPut, user: Planner, records: RecordsDep
) -> dict[str, Any]:
    member = records.add_member(campaign_id, username, side=body.side, actor=user.username)
    return {"campaign_id": member.campaign_id, "username": member.username, "side": member.side}


@router.get(
    "/campaigns/{campaign_id}/progress",
    response_model=ProgressPublic,
    summary="Progress along the line / 联检进度",
)
def get_progress(
    campaign_id: str, user: Reader, records: RecordsDep, register: RegisterDep
) -> dict[str, Any]:
    campaign = _visible_campaign(records, user, campaign_id)
    progress = campaign_progress(campaign, records, register)
    return {"campaign_id": campaign_id, **progress.to_dict()}


def _exported(
    campaign_id: str,
    user: User,
    records: RecordStore,
    register: Register,
    *,
    fmt: str,
    render: Callable[[CampaignReport], bytes],
) -> bytes:
    """The campaign report rendered as ``fmt``, its export appended to the audit log."""
    report = build_report(
        _visible_campaign(records, user, campaign_id), records, register, generated_by=user.username
    )
    data = render(report)
    detail = {"format": fmt, "sha256": sha256_hex(data), "size_bytes": len(data)}
    records.audit("report.export", f"campaign:{campaign_id}", detail, actor=user.username)
    return data


def _attachment(data: bytes, campaign_id: str, fmt: str, media_type: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{campaign_id}-report.{fmt}"'}
    return Response(data, media_type=media_type, headers=headers)


def _gpkg_bytes(report: CampaignReport) -> bytes:
    with tempfile.TemporaryDirectory(prefix="mzgis-report-") as tmp:
        return report_gpkg(report, Path(tmp) / "report.gpkg").read_bytes()


@router.get(
    "/campaigns/{campaign_id}/report.html",
    response_class=HTMLResponse,
    summary="Printable report / 联检报告（打印）",
)
def report_page(
    campaign_id: str, user: Exporter, records: RecordsDep, register: RegisterDep
) -> HTMLResponse:
    def render(report: CampaignReport) -> bytes:
        return report_html(report).encode("utf-8")

    page = _exported(campaign_id, user, records, register, fmt="html", render=render)
    return HTMLResponse(page.decode("utf-8"))


@router.get(
    "/campaigns/{campaign_id}/report.xlsx",
    response_class=Response,
    summary="Report tables / 联检报告表格",
)
def report_tables(
    campaign_id: str, user: Exporter, records: RecordsDep, register: RegisterDep
) -> Response:
    data = _exported(campaign_id, user, records, register, fmt="xlsx", render=report_xlsx)
    return _attachment(data, campaign_id, "xlsx", XLSX)


@router.get(
    "/campaigns/{campaign_id}/report.gpkg",
    response_class=Response,
    summary="Records as a GeoPackage / 联检记录 GeoPackage",
)
def report_package(
    campaign_id: str, user: Exporter, records: RecordsDep, register: RegisterDep
) -> Response:
    data = _exported(campaign_id, user, records, register, fmt="gpkg", render=_gpkg_bytes)
    return _attachment(data, campaign_id, "gpkg", GPKG)


@router.get("/audit", response_model=list[AuditEntryPublic], summary="Audit log / 审计日志")
def audit_log(
    user: Auditor,
    records: RecordsDep,
    after_seq: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    return [e.to_public() for e in records.audit_log(after_seq=after_seq, limit=limit)]


@router.get(
    "/audit/verify", response_model=AuditCheckPublic, summary="Verify the audit chain / 校验审计链"
)
def audit_verify(user: Auditor, records: RecordsDep) -> dict[str, Any]:
    return records.verify_audit().to_public()
