"""What the inspection routes, the CLI and the notebook share: the marker register read
from the layer store (cached per layer version), the checks on arrival of a record, the
public shape of a record, and a campaign's progress.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from api.inspection.schemas import MarkerInspectionCreate, SegmentCheckCreate
from geo.inspection import ArrivalRules, LineGauge, LineProgress, assess_arrays, line_progress
from layers._errors import Problem, UnknownLayerError
from layers.coords import to_wgs84
from layers.records import Campaign, Record, RecordFilter, RecordStore, RecordValidationError
from layers.schema import CHINA_BOUNDS_LONLAT
from layers.store import Store

__all__ = [
    "LineEntry",
    "Register",
    "campaign_progress",
    "check_marker_inspection",
    "check_segment",
    "inspections_frame",
    "record_public",
    "segments_frame",
]

MARKERS_LAYER = "markers"
LINES_LAYER = "boundary_lines"


@dataclass(frozen=True)
class MarkerEntry:
    """One registered marker: its line, position (lon/lat) and standard error."""

    marker_no: str
    line_code: str
    lon: float
    lat: float
    sigma_m: float


@dataclass(frozen=True)
class LineEntry:
    """One boundary line: its attributes and its gauge."""

    line_code: str
    attrs: dict[str, Any]
    gauge: LineGauge


class Register:
    """The marker register and boundary lines of a layer store, re-read when their layer
    version changes (looked up at most every ``check_every_s`` seconds, so a re-imported
    register is in use within that time)."""

    def __init__(
        self,
        store: Store,
        *,
        markers_layer: str = MARKERS_LAYER,
        lines_layer: str = LINES_LAYER,
        check_every_s: float = 1.0,
    ) -> None:
        self.store = store
        self.markers_layer, self.lines_layer = markers_layer, lines_layer
        self.check_every_s = check_every_s
        self._checked: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._markers: tuple[int, gpd.GeoDataFrame] | None = None
        self._entries: tuple[int, dict[str, MarkerEntry]] = (-1, {})
        self._lines: tuple[int, dict[str, LineEntry]] = (-1, {})

    def markers(self) -> gpd.GeoDataFrame:
        """The whole register, indexed by ``marker_no`` (cached)."""
        version = self._version(self.markers_layer)
        cached = self._markers
        if cached is None or cached[0] != version:
            with self._lock:  # one reader fills the cache while the others wait
                cached = self._markers
                if cached is None or cached[0] != version:
                    frame = self.store.read(self.markers_layer)
                    cached = self._markers = (version, frame.set_index("marker_no", drop=False))
        return cached[1]

    def marker(self, marker_no: str) -> MarkerEntry | None:
        """One marker of the register (``None`` when unknown), from a cached lookup table."""
        version = self._version(self.markers_layer)
        entries = self._entries
        if entries[0] != version:
            frame = self.markers()
            table = {
                str(no): MarkerEntry(str(no), str(line), float(x), float(y), float(sigma))
                for no, line, x, y, sigma in zip(
                    frame["marker_no"], frame["line_code"], frame.geometry.x, frame.geometry.y,
                    frame["sigma_m"], strict=True,
                )
            }  # fmt: skip
            entries = self._entries = (version, table)
        return entries[1].get(marker_no)

    def markers_of(self, line_code: str) -> gpd.GeoDataFrame:
        """The markers of one line."""
        frame = self.markers()
        return frame[frame["line_code"] == line_code].reset_index(drop=True)

    def line(self, line_code: str) -> LineEntry:
        """One line with its gauge; :class:`RecordValidationError` if unknown."""
        version = self._version(self.lines_layer)
        cached = self._lines
        if cached[0] == version and line_code in cached[1]:
            return cached[1][line_code]
        with self._lock:
            if self._lines[0] != version:
                self._lines = (version, {})
            entries = self._lines[1]
            if line_code not in entries:
                entries[line_code] = self._read_line(line_code)
            return entries[line_code]

    def _read_line(self, line_code: str) -> LineEntry:
        lines = self.store.read(self.lines_layer)
        row = lines[lines["line_code"] == line_code]
        if row.empty:
            raise _refused("line_code", line_code, f"no boundary line {line_code}", "没有该界线")
        attrs = row.drop(columns=row.geometry.name).iloc[0].to_dict()
        return LineEntry(line_code, attrs, LineGauge(row.geometry.iloc[0]))

    def _version(self, layer: str) -> int:
        checked = self._checked.get(layer)
        now = time.monotonic()
        if checked is not None and now - checked[0] < self.check_every_s:
            return checked[1]
        try:
            version = self.store.info(layer).version
        except UnknownLayerError:
            en = f"the store has no {layer} layer"
            raise _refused("layer", layer, en, "缺少该图层") from None
        self._checked[layer] = (now, version)
        return version


def _refused(field: str, value: object, en: str, zh: str) -> RecordValidationError:
    return RecordValidationError("inspections", [Problem(None, field, value, f"{en} / {zh}")])


def _marker_on_line(register: Register, marker_no: str, line_code: str, field: str) -> MarkerEntry:
    marker = register.marker(marker_no)
    if marker is None:
        raise _refused(
            field, marker_no, "unknown marker: not in the register", "界桩登记中没有该编号"
        )
    if marker.line_code != line_code:
        en = f"marker {marker_no} is on line {marker.line_code}, not on line {line_code}"
        raise _refused(field, marker_no, en, "该界桩不在本批次界线上")
    return marker


def _finite(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _wgs84(position: dict[str, Any]) -> tuple[float, float]:
    lon, lat = float(position["lon"]), float(position["lat"])
    if position.get("crs") in ("gcj02", "bd09"):
        x, y = to_wgs84([lon], [lat], position["crs"])
        lon, lat = float(x[0]), float(y[0])
    x0, y0, x1, y1 = CHINA_BOUNDS_LONLAT
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):
        raise _refused("position", f"{lon}, {lat}", "position outside China", "位置不在中国境内")
    return lon, lat


def check_marker_inspection(
    body: MarkerInspectionCreate, campaign: Campaign, register: Register, *, rules: ArrivalRules
) -> dict[str, Any]:
    """The checks on arrival of a marker inspection: the marker is on the campaign's line,
    the position is plausible. Returns what is computed (displacement, flags, chainage).

    Raises
    ------
    RecordValidationError
        Unknown marker, marker of another line, position outside China or implausibly far
        from the line.
    """
    marker = _marker_on_line(register, body.marker_no, campaign.line_code, "marker_no")
    gauge = register.line(campaign.line_code).gauge
    lon = lat = math.nan
    if body.position is not None:
        lon, lat = _wgs84(body.position.model_dump())
    position = body.position
    columns = assess_arrays(
        np.array([lon]),
        np.array([lat]),
        accuracy_m=np.array([position.accuracy_m if position else math.nan]),
        manual=np.array([position is not None and position.fix_type == "manual"]),
        register_lon=np.array([marker.lon]),
        register_lat=np.array([marker.lat]),
        sigma_m=np.array([marker.sigma_m]),
        gauge=gauge,
        rules=rules,
    )
    checked: dict[str, Any] = {name: values[0] for name, values in columns.items()}
    if checked["implausible"]:
        km = checked["distance_to_line_m"] / 1000
        en = f"position is {km:.1f} km from line {campaign.line_code}; check the coordinates"
        raise _refused("position", f"{lon}, {lat}", en, f"位置距界线 {km:.1f} 公里，请核对坐标")
    flags = list(checked.pop("flags"))
    if len({i.side for i in body.inspectors}) < 2:
        flags.append("one_side_only")
    checked.pop("implausible")
    computed = {k: _finite(v) for k, v in checked.items()}
    computed.update(lon=_finite(lon), lat=_finite(lat), flags=flags)
    computed.update(register_lon=marker.lon, register_lat=marker.lat)
    computed["sigma_register_m"] = marker.sigma_m
    return computed


def check_segment(
    body: SegmentCheckCreate, campaign: Campaign, register: Register
) -> dict[str, Any]:
    """The checks on arrival of a segment check: both markers on the campaign's line.
    Returns their chainages, the segment's length along the line and its flags."""
    gauge = register.line(campaign.line_code).gauge
    ends = [
        _marker_on_line(register, m, campaign.line_code, f)
        for m, f in ((body.from_marker, "from_marker"), (body.to_marker, "to_marker"))
    ]
    lon = [e.lon for e in ends]
    lat = [e.lat for e in ends]
    chain = gauge.chainage_m(lon, lat)
    flags = ["needs_resurvey"] if body.status == "needs_resurvey" else []
    if len({i.side for i in body.inspectors}) < 2:
        flags.append("one_side_only")
    return {
        "from_chainage_m": float(chain[0]),
        "to_chainage_m": float(chain[1]),
        "length_m": float(abs(chain[1] - chain[0])),
        "flags": flags,
    }


def record_public(record: Record) -> dict[str, Any]:
    """The JSON shape of a record: the client's body, what the checks computed, its review
    state, version and ETag, and its photos (expected, received, missing)."""
    return {
        **record.body,
        "kind": record.kind,
        "line_code": record.line_code,
        "computed": record.computed,
        "review_state": record.review_state,
        "version": record.version,
        "etag": record.etag,
        "created_by": record.created_by,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "estimated": record.estimated,
        "photo_status": record.photo_status(),
        "received_photos": [p.to_public() for p in record.photos],
    }


def inspections_frame(records: list[Record]) -> pd.DataFrame:
    """Marker inspections as a table: body fields, computed fields and the review state."""
    rows = [
        {**r.body, **r.computed, "review_state": r.review_state,
         "created_by": r.created_by, "estimated": r.estimated, "version": r.version}
        for r in records
    ]  # fmt: skip
    columns = ["record_id", "marker_no", "inspected_at", "condition", "review_state"]
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=[*columns, "suspected_displaced"])
    frame["suspected_displaced"] = frame.get("suspected_displaced", False)
    return frame


def segments_frame(records: list[Record]) -> pd.DataFrame:
    """Segment checks as a table."""
    rows = [{**r.body, **r.computed, "review_state": r.review_state} for r in records]
    columns = ["record_id", "from_marker", "to_marker", "status", "review_state"]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)


def campaign_records(records: RecordStore, campaign_id: str) -> tuple[list[Record], list[Record]]:
    """Every marker inspection and segment check of a campaign."""
    flt = RecordFilter(campaign_id=campaign_id)
    return records.list_records("marker", flt)[0], records.list_records("segment", flt)[0]


def campaign_progress(campaign: Campaign, records: RecordStore, register: Register) -> LineProgress:
    """Progress of a campaign along its line (markers inspected, km covered, conditions)."""
    markers, segments = campaign_records(records, campaign.campaign_id)
    return line_progress(
        register.markers_of(campaign.line_code),
        inspections_frame(markers),
        segments_frame(segments),
        gauge=register.line(campaign.line_code).gauge,
        line_code=campaign.line_code,
    )
