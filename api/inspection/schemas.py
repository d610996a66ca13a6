"""Request and response bodies of the inspection routes (``XCreate / XUpdate / XPublic``).

A body is canonicalised before it is hashed or stored: the record id as a lower-case UUID,
times in UTC, unset optional fields as ``null``. Two submissions that mean the same thing
therefore have the same hash, whatever the spelling.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    model_validator,
)

from api.schemas import PublicModel, StrictModel
from layers.schema import CONDITIONS, FIX_TYPES, REVIEW_STATES

__all__ = [
    "AuditCheckPublic",
    "AuditEntryPublic",
    "CampaignCreate",
    "CampaignPublic",
    "InspectorRef",
    "MarkerInspectionCreate",
    "MarkerInspectionPage",
    "MarkerInspectionPublic",
    "MarkerInspectionUpdate",
    "MemberPublic",
    "MemberPut",
    "PhotoPublic",
    "Position",
    "ProgressPublic",
    "ReviewCreate",
    "SegmentCheckCreate",
    "SegmentCheckPage",
    "SegmentCheckPublic",
    "SegmentCheckUpdate",
    "canonical_body",
]

Condition = Literal["完好", "损坏", "丢失", "移位", "遮挡掩埋", "未到达"]
FixType = Literal["single", "differential", "RTK", "manual"]
SegmentStatus = Literal["unchanged", "changed_recognisable", "needs_resurvey"]
ReviewTarget = Literal["has_issues", "approved", "rejected"]
MarkerNo = Annotated[str, Field(pattern=r"^\d{7}[QABCDE]$", examples=["0001001Q"])]
Text = Annotated[str, Field(max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
#: conditions where the inspector stands at the marker and must give a position
NEEDS_POSITION = ("完好", "损坏", "移位", "遮挡掩埋")

assert set(CONDITIONS) == set(Condition.__args__)  # type: ignore[attr-defined]
assert set(FIX_TYPES) == set(FixType.__args__)  # type: ignore[attr-defined]
assert "received" in REVIEW_STATES


class Position(StrictModel):
    """An observed position with its horizontal accuracy and how it was fixed."""

    lon: float = Field(ge=-180, le=180, description="Longitude / 经度")
    lat: float = Field(ge=-90, le=90, description="Latitude / 纬度")
    accuracy_m: float = Field(gt=0, le=10_000, description="Horizontal accuracy (σ), m / 水平精度")
    fix_type: FixType = Field(description="single / differential / RTK / manual / 定位方式")
    source: str = Field("", max_length=100, description="Receiver or app / 定位设备或来源")
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = Field(
        "wgs84", description="Coordinate system of lon/lat / 坐标系"
    )


class InspectorRef(StrictModel):
    """One inspector, named with the side of the line they represent."""

    name: ShortText
    side: Literal["left", "right"]
    username: str | None = Field(None, max_length=64)


class ReferenceStatus(StrictModel):
    """State of one reference object (方位物) of the marker."""

    name: ShortText
    status: Literal["完好", "变化", "缺失"]
    note: str | None = Field(None, max_length=200)


class PhotoRef(StrictModel):
    """A photo the record expects, named by its SHA-256."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str | None = Field(None, max_length=200)


#: the earliest time a record may name (boundary markers were registered after 1949)
EARLIEST = dt.datetime(1949, 10, 1, tzinfo=dt.UTC)
#: how far ahead of the server's clock a device's clock may run
CLOCK_SKEW = dt.timedelta(hours=1)


def _record_time(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC; refused before :data:`EARLIEST` or in the future (beyond
    :data:`CLOCK_SKEW`), checked before converting (year 1 or 9999 with an offset would
    overflow)."""
    if not EARLIEST.year <= value.year <= dt.MAXYEAR - 1:
        raise ValueError(f"year {value.year} is out of range / 年份 {value.year} 超出范围")
    utc = value.astimezone(dt.UTC)
    if utc < EARLIEST:
        raise ValueError("must not be before 1949-10-01 / 不能早于 1949-10-01")
    if utc > dt.datetime.now(dt.UTC) + CLOCK_SKEW:
        raise ValueError("must not be in the future / 不能是将来的时间")
    return utc


#: when a record was made: aware, UTC once read, not in the future
RecordTime = Annotated[
    AwareDatetime, AfterValidator(_record_time), Field(description="With a time zone / 须带时区")
]


class _RecordFields(StrictModel):
    notes: Text | None = None
    actions: list[ShortText] = Field(default_factory=list, max_length=50)
    photos: list[PhotoRef] = Field(default_factory=list, max_length=50)
    inspectors: list[InspectorRef] = Field(min_length=1, max_length=20)


class MarkerInspectionCreate(_RecordFields):
    """A marker inspection as the field client submits it (界桩检查记录)."""

    record_id: UUID = Field(description="Client-generated UUID / 客户端生成的 UUID")
    campaign_id: ShortText
    marker_no: MarkerNo
    inspected_at: RecordTime
    condition: Condition
    damage_detail: Text | None = None
    position: Position | None = None
    reference_status: list[ReferenceStatus] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _position_when_found(self) -> MarkerInspectionCreate:
        if self.condition in NEEDS_POSITION and self.position is None:
            msg = f"a position is required when the condition is {self.condition}"
            raise ValueError(f"{msg} / 界桩状况为{self.condition}时必须提供位置")
        return self


class MarkerInspectionUpdate(StrictModel):
    """Fields an inspector may change (the record, campaign and marker stay)."""

    inspected_at: RecordTime | None = None
    condition: Condition | None = None
    damage_detail: Text | None = None
    position: Position | None = None
    reference_status: list[ReferenceStatus] | None = Field(None, max_length=20)
    notes: Text | None = None
    actions: list[ShortText] | None = Field(None, max_length=50)
    photos: list[PhotoRef] | None = Field(None, max_length=50)
    inspectors: list[InspectorRef] | None = Field(None, min_length=1, max_length=20)


class SegmentCheckCreate(_RecordFields):
    """The course of the line between two markers (界线走向检查)."""

    record_id: UUID
    campaign_id: ShortText
    from_marker: MarkerNo
    to_marker: MarkerNo
    checked_at: RecordTime
    status: SegmentStatus
    description: Text | None = None

    @model_validator(mode="after")
    def _two_markers(self) -> SegmentCheckCreate:
        if self.from_marker == self.to_marker:
            raise ValueError("from_marker and to_marker must differ / 起止界桩不能相同")
        return self


class SegmentCheckUpdate(StrictModel):
    """Fields of a segment check that may change."""

    checked_at: RecordTime | None = None
    status: SegmentStatus | None = None
    description: Text | None = None
    notes: Text | None = None
    actions: list[ShortText] | None = Field(None, max_length=50)
    photos: list[PhotoRef] | None = Field(None, max_length=50)
    inspectors: list[InspectorRef] | None = Field(None, min_length=1, max_length=20)


class ReviewCreate(StrictModel):
    """A review decision with its comment."""

    state: ReviewTarget
    comment: str = Field("", max_length=2000)


class CampaignCreate(StrictModel):
    """A new joint inspection of one line; sides default to the line's two units."""

    campaign_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$", examples=["2025-0001"])
    line_code: str = Field(pattern=r"^\d{4}$")
    round_no: int = Field(ge=1, le=100, description="Round of inspection / 联检轮次")
    year: int = Field(ge=1949, le=2200)
    name: str = Field("", max_length=200)


class MemberPut(StrictModel):
    """Which side of the line a member inspects for."""

    side: Literal["left", "right"]


def canonical_body(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready body of a create model, as it is hashed and stored."""
    body = model.model_dump(mode="json")
    if "record_id" in body:
        body["record_id"] = str(UUID(body["record_id"]))
    return body


# -- the XPublic family: what the routes answer ----------------------------------------------


class PhotoPublic(PublicModel):
    """A photo received for a record."""

    sha256: str
    content_type: str
    size_bytes: int
    name: str
    uploaded_by: str
    uploaded_at: str


class ReviewPublic(PublicModel):
    """One review decision on one version of a record."""

    from_state: str
    to_state: str
    comment: str
    reviewer: str
    reviewed_at: str
    version: int


class PhotoStatus(PublicModel):
    """The photos a record names, those received and those still missing (by SHA-256)."""

    expected: list[str]
    received: list[str]
    missing: list[str]


class _RecordPublic(PublicModel):
    """What the service adds to the body a client sent."""

    kind: Literal["marker", "segment"]
    line_code: str
    computed: dict[str, Any] = Field(description="Derived on arrival / 到达时计算的结果")
    review_state: Literal["received", "has_issues", "approved", "rejected"]
    version: int
    etag: str = Field(description="Send as If-Match to change it / 修改时作为 If-Match 提交")
    created_by: str
    created_at: str
    updated_at: str
    estimated: bool
    photo_status: PhotoStatus
    received_photos: list[PhotoPublic]
    reviews: list[ReviewPublic] | None = Field(
        None, description="Review history (one record only) / 审核记录（仅单条记录）"
    )


class MarkerInspectionPublic(_RecordPublic, MarkerInspectionCreate):
    """A stored marker inspection: the body as submitted and what the service added."""

    model_config = PublicModel.model_config


class SegmentCheckPublic(_RecordPublic, SegmentCheckCreate):
    """A stored segment check: the body as submitted and what the service added."""

    model_config = PublicModel.model_config


class MarkerInspectionPage(PublicModel):
    """One page of marker inspections."""

    items: list[MarkerInspectionPublic]
    total: int
    limit: int
    offset: int


class SegmentCheckPage(PublicModel):
    """One page of segment checks."""

    items: list[SegmentCheckPublic]
    total: int
    limit: int
    offset: int


class MemberPublic(PublicModel):
    """A member of a campaign and the side they inspect for."""

    campaign_id: str
    username: str
    side: Literal["left", "right"]


class CampaignMember(PublicModel):
    username: str
    side: Literal["left", "right"]


class CampaignPublic(PublicModel):
    """A campaign (联检批次) with its members."""

    campaign_id: str
    line_code: str
    round_no: int
    year: int
    name: str
    left_code: str
    left_name: str
    right_code: str
    right_name: str
    created_by: str
    created_at: str
    estimated: bool
    members: list[CampaignMember]


class ProgressPublic(PublicModel):
    """Progress of a campaign along its line."""

    campaign_id: str
    line_code: str
    length_km: float
    covered_km: float
    covered_share: float
    markers_total: int
    markers_inspected: int
    markers_reached: int
    suspected_displaced: int
    by_condition: dict[str, int]
    segments_by_status: dict[str, int]


class AuditEntryPublic(PublicModel):
    """One entry of the append-only audit log, chained by SHA-256 to the one before."""

    seq: int
    at: str
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditCheckPublic(PublicModel):
    """The audit chain recomputed: ``ok`` unless an entry was altered or removed."""

    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None
    reason: str
