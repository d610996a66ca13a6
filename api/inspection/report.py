"""The campaign report (联检报告) for filing: built once from the records, then written as a
printable HTML page (:mod:`api.inspection.report_html`), XLSX tables, or a GeoPackage of the
records, the markers with their latest condition, the line and the segment checks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from api.inspection.service import Register, campaign_records, inspections_frame, segments_frame
from geo.inspection import (
    LineGauge,
    LineProgress,
    latest_by_marker,
    line_progress,
    stretch_lonlat,
)
from layers.io.sheets import Sheet, workbook_bytes
from layers.records import SEGMENT_STATUSES, Campaign, Member, RecordStore
from layers.store import GeoPackageStore

__all__ = [
    "CONDITION_EN",
    "CampaignReport",
    "build_report",
    "report_gpkg",
    "report_xlsx",
]

CONDITION_EN = {
    "完好": "intact", "损坏": "damaged", "丢失": "missing", "移位": "displaced",
    "遮挡掩埋": "buried or hidden", "未到达": "not reached", "未检查": "not inspected",
}  # fmt: skip
PROBLEM_CONDITIONS = ("损坏", "丢失", "移位", "遮挡掩埋", "未到达")
BEIJING_TIME = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class CampaignReport:
    """Everything the report shows, as tables (one row per marker, record or problem)."""

    campaign: Campaign
    line: dict[str, Any]
    members: list[Member]
    progress: LineProgress
    gauge: LineGauge
    markers: gpd.GeoDataFrame
    inspections: pd.DataFrame
    segments: pd.DataFrame
    problems: pd.DataFrame
    actions: pd.DataFrame
    inspectors: dict[str, list[str]]
    generated_at: str
    generated_by: str
    audit_head: str

    @property
    def estimated(self) -> bool:
        """Whether any record or the campaign is estimated (demo) data."""
        flags = self.inspections.get("estimated", pd.Series(dtype=bool))
        return bool(self.campaign.estimated or flags.fillna(False).astype(bool).any())

    def summary(self) -> dict[str, Any]:
        """The headline figures."""
        return {**self.progress.to_dict(), "records": len(self.inspections)}


def local_time(value: Any) -> str:
    """An ISO time shown as Beijing time (``2025-04-08 09:10``)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return str(stamp.tz_convert(BEIJING_TIME).strftime("%Y-%m-%d %H:%M"))


def build_report(
    campaign: Campaign, records: RecordStore, register: Register, *, generated_by: str
) -> CampaignReport:
    """Collect a campaign's records, progress, open problems and signatories."""
    marker_records, segment_records = campaign_records(records, campaign.campaign_id)
    inspections, segments = inspections_frame(marker_records), segments_frame(segment_records)
    line = register.line(campaign.line_code)
    register_markers = register.markers_of(campaign.line_code)
    progress = line_progress(
        register_markers, inspections, segments, gauge=line.gauge, line_code=campaign.line_code
    )
    latest = latest_by_marker(inspections) if len(inspections) else pd.DataFrame()
    markers = _markers_with_latest(register_markers, progress, latest)
    return CampaignReport(
        campaign=campaign,
        line=line.attrs,
        members=records.members(campaign.campaign_id),
        progress=progress,
        gauge=line.gauge,
        markers=markers,
        inspections=inspections,
        segments=progress.segments,
        problems=_open_problems(markers, latest, progress.segments, inspections),
        actions=_actions(latest),
        inspectors=_inspectors(inspections, segments),
        generated_at=dt.datetime.now(BEIJING_TIME).strftime("%Y-%m-%d %H:%M"),
        generated_by=generated_by,
        audit_head=records.verify_audit().head_hash,
    )


def _markers_with_latest(
    register_markers: gpd.GeoDataFrame, progress: LineProgress, latest: pd.DataFrame
) -> gpd.GeoDataFrame:
    state = progress.markers.drop(columns="geometry").set_index("marker_no")
    out = register_markers.join(state, on="marker_no")
    for column in ("displacement_m", "threshold_m", "damage_detail"):
        source = latest[column] if column in latest else pd.Series(dtype=object)
        out[column] = out["marker_no"].map(source)
    return out.sort_values("chainage_m", kind="stable").reset_index(drop=True)


def _open_problems(
    markers: gpd.GeoDataFrame, latest: pd.DataFrame, segments: pd.DataFrame, records: pd.DataFrame
) -> pd.DataFrame:
    rows: list[tuple[str, str, str]] = []
    for m in markers.itertuples():
        label = f"{m.condition} {CONDITION_EN.get(str(m.condition), '')}".strip()
        if m.condition is None:
            rows.append((m.marker_no, "未检查 not inspected", ""))
        elif m.condition in PROBLEM_CONDITIONS:
            rows.append((m.marker_no, label, _text(m.damage_detail)))
        if m.suspected_displaced:
            detail = f"{m.displacement_m:.2f} m > {m.threshold_m:.2f} m (2σ)"
            rows.append((m.marker_no, "疑似移位 suspected displaced", detail))
    for s in segments.to_dict("records") if len(segments) else ():
        status = str(s["status"])
        if status != "unchanged":
            what = f"{SEGMENT_STATUSES[status]} {status.replace('_', ' ')}"
            detail = _text(s.get("description"))
            rows.append((f"{s['from_marker']}–{s['to_marker']}", what, detail))
    for r in records.to_dict("records") if len(records) else ():
        if r["review_state"] == "has_issues":
            rows.append((str(r["marker_no"]), "待修正 has issues", f"record {r['record_id']}"))
    return pd.DataFrame(rows, columns=["item", "problem", "detail"])


def _text(value: Any) -> str:
    """Text of a cell; empty for ``None`` and NaN."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _actions(latest: pd.DataFrame) -> pd.DataFrame:
    if latest.empty or "actions" not in latest:
        return pd.DataFrame(columns=["action", "markers"])
    exploded = latest["actions"].explode().dropna()
    counts = exploded.value_counts()
    return pd.DataFrame({"action": counts.index.astype(str), "markers": counts.to_numpy()})


def _inspectors(inspections: pd.DataFrame, segments: pd.DataFrame) -> dict[str, list[str]]:
    sides: dict[str, set[str]] = {"left": set(), "right": set()}
    for frame in (inspections, segments):
        for people in frame.get("inspectors", pd.Series(dtype=object)).dropna():
            for person in people:
                sides.setdefault(person["side"], set()).add(person["name"])
    return {side: sorted(names) for side, names in sides.items()}


def records_table(report: CampaignReport) -> pd.DataFrame:
    """The marker inspections as a readable table (bilingual headers)."""
    frame = report.inspections
    if frame.empty:
        return pd.DataFrame(columns=["界桩编号 marker"])

    def joined(values: Any, key: str | None = None) -> str:
        items = values if isinstance(values, list) else []
        return "；".join(str(v[key] if key else v) for v in items)

    position = _column(frame, "position")
    return pd.DataFrame(
        {
            "界桩编号 marker": frame["marker_no"],
            "检查时间 inspected (UTC+8)": frame["inspected_at"].map(local_time),
            "状况 condition": frame["condition"],
            "损坏情况 damage": _column(frame, "damage_detail"),
            "偏移 displacement (m)": _column(frame, "displacement_m").astype(float).round(2),
            "限差 2σ limit (m)": _column(frame, "threshold_m").astype(float).round(2),
            "疑似移位 suspected": frame["suspected_displaced"].map({True: "是 yes", False: ""}),
            "定位方式 fix": position.map(lambda p: p["fix_type"] if p else ""),
            "精度 accuracy (m)": position.map(lambda p: p["accuracy_m"] if p else None),
            "处理措施 actions": frame["actions"].map(joined),
            "联检人员 inspectors": frame["inspectors"].map(lambda v: joined(v, "name")),
            "审核 review": frame["review_state"],
            "标记 flags": _column(frame, "flags").map(joined),
            "备注 notes": _column(frame, "notes"),
            "记录编号 record": frame["record_id"],
        }
    )


def segments_table(report: CampaignReport) -> pd.DataFrame:
    """The segment checks that count as a readable table (bilingual headers)."""
    frame = report.segments
    return pd.DataFrame(
        {
            "起点界桩 from": frame["from_marker"],
            "终点界桩 to": frame["to_marker"],
            "走向 course": frame["status"].map(lambda v: f"{SEGMENT_STATUSES.get(v, v)} {v}"),
            "长度 length (m)": (frame["to_chainage_m"] - frame["from_chainage_m"]).abs().round(1),
            "检查时间 checked (UTC+8)": _column(frame, "checked_at").map(local_time),
            "说明 description": _column(frame, "description").map(_text),
            "审核 review": frame["review_state"],
            "记录编号 record": _column(frame, "record_id"),
        }
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or ``None`` in every row when the records never had that field."""
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def report_xlsx(report: CampaignReport) -> bytes:
    """The report's tables as an XLSX workbook (one sheet per table, written by the shared
    writer :mod:`layers.io.sheets`: frozen headers, widths, text never a formula)."""
    summary = pd.DataFrame(
        [(k, str(v)) for k, v in _summary_rows(report)], columns=["项目 item", "值 value"]
    )
    by_condition = pd.DataFrame(
        [(k, CONDITION_EN.get(k, ""), v) for k, v in report.progress.by_condition.items()],
        columns=["状况 condition", "condition", "界桩数 markers"],
    )
    sheets = {
        "概况 summary": summary,
        "界桩状况 conditions": by_condition,
        "检查记录 records": records_table(report),
        "走向检查 segments": segments_table(report),
        "处理措施 actions": report.actions,
        "待解决问题 problems": report.problems,
    }
    return workbook_bytes(
        [Sheet.titled(name, table) for name, table in sheets.items()]
    )  # notes and details stay text, never formulas


def _summary_rows(report: CampaignReport) -> list[tuple[str, Any]]:
    c, s = report.campaign, report.summary()
    return [
        ("联检批次 campaign", c.campaign_id),
        ("界线 line", f"{c.line_code} {report.line.get('name', '')}"),
        ("双方 sides", f"{c.left_name} — {c.right_name}"),
        ("轮次 round", c.round_no),
        ("年度 year", c.year),
        ("界线长度 length (km)", s["length_km"]),
        ("已检长度 covered (km)", s["covered_km"]),
        ("界桩总数 markers", s["markers_total"]),
        ("已检界桩 inspected", s["markers_inspected"]),
        ("疑似移位 suspected displaced", s["suspected_displaced"]),
        ("记录数 records", s["records"]),
        ("生成时间 generated (UTC+8)", report.generated_at),
        ("生成人 by", report.generated_by),
        ("审计链 audit head", report.audit_head),
        ("估算数据 estimated", "是 yes" if report.estimated else "否 no"),
    ]


def report_gpkg(report: CampaignReport, path: Path) -> Path:
    """Write the report's layers to a new GeoPackage: ``inspections`` (observed positions),
    ``markers`` (latest condition), ``boundary_lines`` and ``segment_checks``."""
    path.unlink(missing_ok=True)
    out = GeoPackageStore(path)
    out.write("inspections", _inspection_layer(report), kind="inspections")
    out.write("markers", report.markers.drop(columns=["reached"], errors="ignore"), kind="markers")
    line = gpd.GeoDataFrame(
        [report.line], geometry=[stretch_lonlat(report.gauge, 0.0, report.gauge.length_m)], crs=4326
    )
    out.write("boundary_lines", line, kind="boundary_lines")
    segments = report.segments
    if len(segments):
        ends = zip(segments["from_chainage_m"], segments["to_chainage_m"], strict=True)
        geoms = [stretch_lonlat(report.gauge, a, b) for a, b in ends]
        table = segments[[c for c in _SEGMENT_COLUMNS if c in segments]].copy()
        table["length_m"] = (segments["to_chainage_m"] - segments["from_chainage_m"]).abs()
        layer = gpd.GeoDataFrame(table, geometry=geoms, crs=4326)
        layer.to_file(path, layer="segment_checks", driver="GPKG")
    return path


def _inspection_layer(report: CampaignReport) -> gpd.GeoDataFrame:
    frame = report.inspections
    if frame.empty:
        return gpd.GeoDataFrame({"inspection_id": []}, geometry=[], crs=4326)
    position = _column(frame, "position")
    layer = pd.DataFrame(
        {
            "inspection_id": frame["record_id"],
            "campaign_id": report.campaign.campaign_id,
            "marker_no": frame["marker_no"],
            "inspected_at": pd.to_datetime(frame["inspected_at"], utc=True),
            "condition": frame["condition"],
            "accuracy_m": position.map(lambda p: p["accuracy_m"] if p else None),
            "fix_type": position.map(lambda p: p["fix_type"] if p else None),
            "review_state": frame["review_state"],
            "suspected_displaced": frame["suspected_displaced"],
        }
    )
    for column in _PASSED_THROUGH:
        layer[column] = _column(frame, column)
    points = [
        shapely.Point(x, y) if pd.notna(x) and pd.notna(y) else None
        for x, y in zip(frame["lon"], frame["lat"], strict=True)
    ]
    return gpd.GeoDataFrame(layer, geometry=points, crs=4326)


_SEGMENT_COLUMNS = (
    "record_id", "campaign_id", "from_marker", "to_marker", "status", "checked_at",
    "description", "notes", "review_state", "from_chainage_m", "to_chainage_m",
)  # fmt: skip
_PASSED_THROUGH = (
    "damage_detail", "reference_status", "actions", "photos", "notes", "inspectors",
    "displacement_m", "threshold_m", "flags", "created_by", "estimated",
)  # fmt: skip
