"""``/maps/inspection``: a campaign on its line, built with the shared map builder: the line,
the segment checks coloured by the course found, the markers coloured by their latest
condition, the observed positions of markers suspected displaced, and the progress in the
title box. Readers only (inspectors: their campaigns); a browser may sign in with the
``mzgis_token`` cookie.
"""

from __future__ import annotations

from typing import Annotated

import geopandas as gpd
import pandas as pd
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Reader, RecordsDep, require_campaign, visible_campaigns
from api.deps import SettingsDep, StoreDep
from api.inspection.deps import RegisterDep
from api.inspection.report import CONDITION_EN
from api.inspection.service import Register, campaign_progress, campaign_records, inspections_frame
from api.maps import CategoryStyle, LayerStyle, MapBuilder, PopupField, styles
from api.maps.i18n import Lang, pick
from api.maps.routes import LangQuery, map_page, page_builder
from geo.inspection import (
    NOT_INSPECTED,
    LineGauge,
    LineProgress,
    latest_by_marker,
    stretch_lonlat,
)
from layers.records import SEGMENT_STATUSES, Campaign, RecordNotFoundError, RecordStore

__all__ = ["inspection_map", "router"]

router = APIRouter(prefix="/maps", tags=["maps"])

CONDITION_COLORS = {**styles.CONDITION_COLORS, NOT_INSPECTED: "#b0bec5"}
SEGMENT_COLORS = {
    "unchanged": "#43a047",
    "changed_recognisable": "#fb8c00",
    "needs_resurvey": "#e53935",
}
SEGMENT_EN = {
    "unchanged": "unchanged",
    "changed_recognisable": "changed, recognisable",
    "needs_resurvey": "needs re-survey",
}


def _markers_layer(
    progress: LineProgress, latest: pd.DataFrame, estimated: bool
) -> gpd.GeoDataFrame:
    frame = progress.to_gdf()
    frame["condition"] = frame["condition"].fillna(NOT_INSPECTED)
    for column in ("displacement_m", "threshold_m", "inspected_at"):
        source = latest[column] if column in latest else pd.Series(dtype=object)
        frame[column] = frame["marker_no"].map(source)
    frame["suspected"] = frame["suspected_displaced"].map({True: "是 yes", False: ""})
    frame["estimated_fields"] = "condition,displacement_m" if estimated else ""
    return frame


def _suspected_layer(latest: pd.DataFrame) -> gpd.GeoDataFrame:
    """Observed positions of the markers whose latest record is suspected displaced."""
    if latest.empty or "suspected_displaced" not in latest:
        return gpd.GeoDataFrame({"marker_no": [], "displacement_m": []}, geometry=[], crs=4326)
    flagged = latest[latest["suspected_displaced"].fillna(False).astype(bool)]
    points = shapely.points(flagged["lon"].to_numpy(float), flagged["lat"].to_numpy(float))
    return gpd.GeoDataFrame(
        {"marker_no": flagged.index.to_list(), "displacement_m": flagged["displacement_m"]},
        geometry=points,
        crs=4326,
    ).reset_index(drop=True)


def inspection_map(
    campaign: Campaign,
    records: RecordStore,
    register: Register,
    builder: MapBuilder,
) -> MapBuilder:
    """Draw a campaign on ``builder``: line, segment checks, markers by latest condition,
    suspected displacements; the progress goes in the subtitle."""
    lang: Lang = builder.lang
    progress = campaign_progress(campaign, records, register)
    markers_records, _ = campaign_records(records, campaign.campaign_id)
    frame = inspections_frame(markers_records)
    latest = latest_by_marker(frame) if len(frame) else pd.DataFrame()
    entry = register.line(campaign.line_code)
    line = gpd.GeoDataFrame(
        [entry.attrs], geometry=[entry.gauge.to_lonlat(entry.gauge.line)], crs=4326
    )
    builder.add_layer(
        line, kind="boundary_lines", name="line", label=pick(lang, "界线", "Boundary line")
    )
    if len(progress.segments):
        _add_segments(builder, progress, entry.gauge)
    _add_markers(builder, progress, latest, estimated=campaign.estimated)
    builder.subtitle = _progress_line(progress, lang)
    x0, y0, x1, y1 = (float(v) for v in line.total_bounds)
    builder.view = (x0, y0, x1, y1)
    return builder


def _add_segments(builder: MapBuilder, progress: LineProgress, gauge: LineGauge) -> None:
    lang: Lang = builder.lang
    segments = progress.segments
    ends = zip(segments["from_chainage_m"], segments["to_chainage_m"], strict=True)
    geoms = [stretch_lonlat(gauge, a, b) for a, b in ends]
    builder.add_layer(
        gpd.GeoDataFrame(
            segments[["from_marker", "to_marker", "status"]], geometry=geoms, crs=4326
        ),
        name="segments",
        label=pick(lang, "界线走向检查", "Course of the line"),
        style=LayerStyle("#43a047", weight=6, opacity=0.8, fill=False, z=55),
        category=CategoryStyle(
            "status", colors=SEGMENT_COLORS, labels=SEGMENT_STATUSES if lang == "zh" else SEGMENT_EN
        ),
        fields=[
            PopupField("from_marker", pick(lang, "起点界桩", "from")),
            PopupField("to_marker", pick(lang, "终点界桩", "to")),
        ],
    )


def _add_markers(
    builder: MapBuilder, progress: LineProgress, latest: pd.DataFrame, *, estimated: bool
) -> None:
    lang: Lang = builder.lang
    condition_labels = {k: k if lang == "zh" else CONDITION_EN.get(k, k) for k in CONDITION_COLORS}
    builder.add_layer(
        _markers_layer(progress, latest, estimated),
        name="markers",
        label=pick(lang, "界桩（最新状况）", "Markers (latest condition)"),
        style=LayerStyle("#263238", "#b0bec5", weight=1, fill_opacity=0.95, radius_px=6, z=80),
        category=CategoryStyle("condition", colors=CONDITION_COLORS, labels=condition_labels),
        title="marker_no",
        fields=[
            PopupField("condition", pick(lang, "状况", "condition")),
            PopupField("inspected_at", pick(lang, "检查时间", "inspected at"), "", "datetime"),
            PopupField("displacement_m", pick(lang, "偏移", "displacement"), "m", "float"),
            PopupField("threshold_m", pick(lang, "限差 2σ", "2σ limit"), "m", "float"),
            PopupField("suspected", pick(lang, "疑似移位", "suspected displaced"), "", "bool"),
            PopupField("inspections", pick(lang, "检查次数", "inspections"), "", "int"),
        ],
    )
    builder.add_layer(
        _suspected_layer(latest),
        name="suspected",
        label=pick(lang, "疑似移位（实测位置）", "Suspected displaced (observed)"),
        style=LayerStyle("#b71c1c", "#ffffff", weight=3, fill_opacity=0.0, radius_px=10, z=85),
        fields=[PopupField("displacement_m", pick(lang, "偏移", "displacement"), "m", "float")],
        title="marker_no",
    )


def _progress_line(progress: LineProgress, lang: Lang) -> str:
    s = progress.to_dict()
    km = f"{s['covered_km']:.2f}/{s['length_km']:.2f}"
    markers = f"{s['markers_inspected']}/{s['markers_total']}"
    if lang == "zh":
        return f"已检 {km} 公里 · 界桩 {markers} · 疑似移位 {s['suspected_displaced']}"
    return f"{km} km covered · markers {markers} · suspected displaced {s['suspected_displaced']}"


def _campaign(
    records: RecordStore, user_campaigns: tuple[str, ...] | None, campaign_id: str | None
) -> Campaign:
    if campaign_id is not None:
        return records.get_campaign(campaign_id)
    visible = records.list_campaigns(campaign_ids=user_campaigns)
    if not visible:
        raise RecordNotFoundError("campaign", "(any)")
    return visible[0]


@router.get("/inspection", response_class=HTMLResponse, summary="Boundary inspection / 界线联检")
def inspection_page(
    *,
    request: Request,
    user: Reader,
    records: RecordsDep,
    store: StoreDep,
    register: RegisterDep,
    settings: SettingsDep,
    campaign_id: Annotated[
        str | None, Query(description="Campaign; default: the latest / 联检批次")
    ] = None,
    lang: LangQuery = None,
) -> Response:
    """A campaign on its line: markers by latest condition, segment checks, progress."""
    campaign = _campaign(records, visible_campaigns(user, records), campaign_id)
    require_campaign(user, records, campaign.campaign_id)
    language: Lang = lang or settings.lang
    key = ("inspection", campaign.campaign_id, language, records.audit_head()[0])

    def build() -> str:
        title = pick(language, f"{campaign.name}", f"Joint inspection {campaign.campaign_id}")
        builder = page_builder(settings, store, title=title, lang=language)
        return inspection_map(campaign, records, register, builder).render()

    return map_page(request, store, key, build)
