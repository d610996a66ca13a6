"""``GET /inspections/campaigns/{campaign_id}/bundle``: everything the field app needs to work
a campaign without signal, in one compact JSON document (界线联检离线数据包).

The bundle holds the campaign and its members, the line, its markers in order along the line
(number, type, registered position and its standard error, reference objects, the last
condition found in an earlier visible inspection), the segments between neighbouring
markers, the campaign's records with their review comments, the arrival rules the server
applies (so the phone can show displacement at once), and the base layers needed to read
the map: the roads within :data:`ROAD_MARGIN_M` of the line and the two divisions the line
separates, simplified to :data:`SIMPLIFY_M`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from api.auth import Reader, RecordsDep, require_campaign, visible_campaigns
from api.deps import StoreDep
from api.geojson import feature_collection
from api.inspection.deps import RegisterDep, RulesDep
from api.inspection.schemas import CampaignPublic, MarkerInspectionPublic, SegmentCheckPublic
from api.inspection.service import LineEntry, Register, inspections_frame, record_public
from api.schemas import PublicModel
from geo.inspection import ArrivalRules, latest_by_marker
from layers._errors import UnknownLayerError
from layers.records import Campaign, RecordFilter, RecordStore, User
from layers.store import Store

__all__ = ["ROAD_MARGIN_M", "SIMPLIFY_M", "BundlePublic", "build_bundle", "router"]

router = APIRouter(tags=["inspections / 界线联检"])

#: roads within this distance of the line travel in the bundle
ROAD_MARGIN_M = 300.0
#: tolerance of the simplified division outlines (display only)
SIMPLIFY_M = 5.0
#: layer of the divisions by the length of their code
_DIVISION_LAYERS = {6: "districts", 9: "streets", 12: "communities"}
_ROAD_COLUMNS = ("name", "highway")
GeoJSON = dict[str, Any]


class BundleLine(PublicModel):
    """The campaign's line: its two units, its length and its geometry (GeoJSON, lon/lat)."""

    line_code: str
    name: str
    left_name: str
    right_name: str
    length_m: float
    geometry: GeoJSON


class LastCondition(PublicModel):
    """The latest not-rejected condition of a marker in an earlier campaign."""

    condition: str
    inspected_at: str
    campaign_id: str


class BundleMarker(PublicModel):
    """A marker of the line as the register has it, in order along the line."""

    marker_no: str
    marker_type: str
    lon: float
    lat: float
    sigma_m: float = Field(description="Standard error of the register / 登记位置中误差")
    chainage_m: float = Field(description="Distance along the line / 沿界线里程")
    reference_objects: list[dict[str, Any]]
    last: LastCondition | None


class BundleSegment(PublicModel):
    """Two neighbouring markers: a segment to check."""

    from_marker: str
    to_marker: str
    length_m: float


class BundleRules(PublicModel):
    """The checks on arrival the server applies (so the phone shows them at once)."""

    k_sigma: float
    low_accuracy_m: float
    far_from_line_m: float
    max_from_line_m: float


class BundleBase(PublicModel):
    """Base layers to read the map: roads near the line and the two divisions."""

    roads: GeoJSON
    divisions: GeoJSON


class BundlePublic(PublicModel):
    """A campaign for offline use (离线数据包)."""

    generated_at: str
    campaign: CampaignPublic
    line: BundleLine
    markers: list[BundleMarker]
    segments: list[BundleSegment]
    records: list[MarkerInspectionPublic | SegmentCheckPublic]
    rules: BundleRules
    base: BundleBase


def _markers(register: Register, line: LineEntry, last: pd.DataFrame) -> list[dict[str, Any]]:
    frame = register.markers_of(line.line_code)
    lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    chain = line.gauge.chainage_m(lon, lat)
    out = []
    for i in np.argsort(chain, kind="stable"):
        row = frame.iloc[i]
        no = str(row["marker_no"])
        previous = None
        if no in last.index:
            found = last.loc[no]
            previous = {
                "condition": found["condition"],
                "inspected_at": found["inspected_at"],
                "campaign_id": found["campaign_id"],
            }
        out.append(
            {
                "marker_no": no,
                "marker_type": str(row.get("marker_type") or no[-1]),
                "lon": round(float(lon[i]), 7),
                "lat": round(float(lat[i]), 7),
                "sigma_m": float(row["sigma_m"]),
                "chainage_m": round(float(chain[i]), 2),
                "reference_objects": list(row.get("reference_objects") or []),
                "last": previous,
            }
        )
    return out


def _segments(markers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Neighbouring markers along the line: the segments a team walks."""
    return [
        {
            "from_marker": a["marker_no"],
            "to_marker": b["marker_no"],
            "length_m": round(b["chainage_m"] - a["chainage_m"], 2),
        }
        for a, b in itertools.pairwise(markers)
    ]


def _last_conditions(records: RecordStore, user: User, campaign: Campaign) -> pd.DataFrame:
    """The latest not-rejected condition of each marker of the line, from the earlier
    campaigns the user may see."""
    flt = RecordFilter(line_code=campaign.line_code, campaign_ids=visible_campaigns(user, records))
    found = [
        r for r in records.list_records("marker", flt)[0] if r.campaign_id != campaign.campaign_id
    ]
    frame = inspections_frame(found)
    if frame.empty:
        return frame.set_index("marker_no")
    frame["campaign_id"] = [r.campaign_id for r in found]
    return latest_by_marker(frame)


def _records(records: RecordStore, campaign_id: str) -> list[dict[str, Any]]:
    out = []
    for kind in ("marker", "segment"):
        for record in records.list_records(kind, RecordFilter(campaign_id=campaign_id))[0]:
            body = record_public(record)
            # a record gets reviews only by changing version: version 1 has none
            reviews = (
                records.reviews(record.record_id, campaign_id=record.campaign_id)
                if record.version > 1
                else []
            )
            body["reviews"] = [r.to_public() for r in reviews]
            out.append(body)
    return out


def _geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(feature_collection(frame))
    return parsed


def _near_line(
    store: Store, layer: str, line: LineEntry, *, margin_m: float
) -> gpd.GeoDataFrame | None:
    """Features of ``layer`` within ``margin_m`` of the line, in the line's plane (``None``
    when the store has no such layer)."""
    x0, y0, x1, y1 = shapely.bounds(line.gauge.to_lonlat(line.gauge.line))
    dlat = margin_m / 111_000.0
    dlon = dlat / max(np.cos(np.radians((y0 + y1) / 2)), 0.1)
    try:
        frame = store.read(layer, bbox=(x0 - dlon, y0 - dlat, x1 + dlon, y1 + dlat))
    except UnknownLayerError:
        return None
    frame = frame.to_crs(line.gauge.crs)
    return frame[frame.distance(line.gauge.line) <= margin_m]


def _base_layers(store: Store, line: LineEntry) -> dict[str, Any]:
    """Roads near the line and the two divisions it separates (outlines near the line)."""
    empty = {"type": "FeatureCollection", "features": []}
    base: dict[str, Any] = {"roads": empty, "divisions": empty}
    roads = _near_line(store, "roads", line, margin_m=ROAD_MARGIN_M)
    if roads is not None and len(roads):
        keep = [c for c in _ROAD_COLUMNS if c in roads.columns]
        roads = roads[[*keep, roads.geometry.name]]
        base["roads"] = _geojson(roads.simplify(SIMPLIFY_M).to_frame("geometry").join(roads[keep]))
    codes = [str(line.attrs.get("left_code", "")), str(line.attrs.get("right_code", ""))]
    layer = _DIVISION_LAYERS.get(len(codes[0]))
    divisions = _near_line(store, layer, line, margin_m=2_000.0) if layer else None
    if divisions is not None and "code" in divisions.columns:
        divisions = divisions[divisions["code"].astype(str).isin(codes)]
        shapes = divisions.simplify(SIMPLIFY_M).to_frame("geometry")
        base["divisions"] = _geojson(shapes.join(divisions[["code", "name"]]))
    return base


def build_bundle(
    campaign: Campaign,
    records: RecordStore,
    register: Register,
    store: Store,
    *,
    user: User,
    rules: ArrivalRules,
) -> dict[str, Any]:
    """The offline bundle of ``campaign`` as ``user`` may see it (see the module's text)."""
    line = register.line(campaign.line_code)
    markers = _markers(register, line, _last_conditions(records, user, campaign))
    members = [
        {"username": m.username, "side": m.side} for m in records.members(campaign.campaign_id)
    ]
    lonlat = shapely.transform(line.gauge.to_lonlat(line.gauge.line), lambda c: np.round(c, 7))
    line_geojson = json.loads(shapely.to_geojson(lonlat))
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "campaign": {**campaign.to_public(), "members": members},
        "line": {
            "line_code": line.line_code,
            "name": str(line.attrs.get("name", "")),
            "left_name": str(line.attrs.get("left_name", "")),
            "right_name": str(line.attrs.get("right_name", "")),
            "length_m": round(line.gauge.length_m, 2),
            "geometry": line_geojson,
        },
        "markers": markers,
        "segments": _segments(markers),
        "records": _records(records, campaign.campaign_id),
        "rules": {
            "k_sigma": rules.k_sigma,
            "low_accuracy_m": rules.low_accuracy_m,
            "far_from_line_m": rules.far_from_line_m,
            "max_from_line_m": rules.max_from_line_m,
        },
        "base": _base_layers(store, line),
    }


@router.get(
    "/campaigns/{campaign_id}/bundle",
    response_model=BundlePublic,
    summary="Offline bundle of a campaign / 联检批次离线数据包",
)
def get_bundle(
    *,
    campaign_id: str,
    user: Reader,
    records: RecordsDep,
    register: RegisterDep,
    store: StoreDep,
    rules: RulesDep,
) -> JSONResponse:
    campaign = records.get_campaign(campaign_id)
    require_campaign(user, records, campaign_id)
    body = build_bundle(campaign, records, register, store, user=user, rules=rules)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
