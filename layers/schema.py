"""Declared schemas of every layer kind: id column, fields with units in their names,
geometry types and CRS.

Every layer is stored in lon/lat (EPSG:4326; CGCS2000 / EPSG:4490 is accepted as equal to
well under a metre in China). Labels in Chinese and English are what maps and tables show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from layers._errors import UnknownLayerError

__all__ = [
    "CHINA_BOUNDS_LONLAT",
    "CONDITIONS",
    "FIX_TYPES",
    "MARKER_TYPES",
    "REVIEW_STATES",
    "SCHEMAS",
    "STORE_CRS",
    "Field",
    "LayerSchema",
    "get_schema",
]

STORE_CRS = "EPSG:4326"
#: lon/lat extent of mainland China with a margin: (min lon, min lat, max lon, max lat)
CHINA_BOUNDS_LONLAT = (73.4, 17.9, 135.1, 53.6)

DType = Literal["int", "float", "str", "bool", "datetime", "json"]
POINT = ("Point",)
POLYGON = ("Polygon", "MultiPolygon")
LINE = ("LineString", "MultiLineString")

CONDITIONS = ("完好", "损坏", "丢失", "移位", "遮挡掩埋", "未到达")
FIX_TYPES = ("single", "differential", "RTK", "manual")
REVIEW_STATES = ("received", "has_issues", "approved", "rejected")
MARKER_TYPES = ("Q", "A", "B", "C", "D", "E")
STATION_STATUS = ("运营", "筹建", "停业")


@dataclass(frozen=True)
class Field:
    """One attribute column. ``zh``/``en`` are the labels people read; ``unit`` is shown
    after the value (the unit is also in the column name where it has one)."""

    name: str
    dtype: DType
    zh: str
    en: str
    required: bool = True
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class LayerSchema:
    """The schema of one layer kind."""

    kind: str
    zh: str
    en: str
    id_field: str
    geometry_types: tuple[str, ...]
    fields: tuple[Field, ...]
    #: division-code rules: the id has ``code_digits`` digits and starts with ``parent_field``
    code_digits: int | None = None
    parent_field: str | None = None
    parent_digits: int | None = None
    editable: bool = False
    crs: str = STORE_CRS
    common: tuple[Field, ...] = field(default=())

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return (*self.fields, *self.common)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.all_fields]

    def get_field(self, name: str) -> Field | None:
        return next((f for f in self.all_fields if f.name == name), None)


def _f(name: str, dtype: DType, zh: str, en: str, **kw: object) -> Field:
    return Field(name, dtype, zh, en, **kw)  # type: ignore[arg-type]


def _count(name: str, zh: str, en: str, *, required: bool = True) -> Field:
    return Field(name, "int", zh, en, required=required, unit="人", minimum=0)


PROVENANCE = (
    _f("source", "str", "数据来源", "source", required=False),
    _f("estimated_fields", "str", "估算字段", "estimated fields", required=False),
)
NAME = _f("name", "str", "名称", "name")

DISTRICTS = LayerSchema(
    "districts",
    "区县",
    "districts",
    "code",
    POLYGON,
    (
        _f("code", "str", "区划代码", "division code", pattern=r"\d{6}"),
        NAME,
        _f("parent_code", "str", "上级代码", "parent code", required=False),
        _count("population", "常住人口", "resident population", required=False),
        _f("area_m2", "float", "面积", "area", required=False, unit="m²", minimum=0),
    ),
    code_digits=6,
)
STREETS = LayerSchema(
    "streets",
    "街道乡镇",
    "streets and townships",
    "code",
    POLYGON,
    (
        _f("code", "str", "区划代码", "division code", pattern=r"\d{9}"),
        NAME,
        _f("district_code", "str", "所属区县代码", "district code", pattern=r"\d{6}"),
        _count("population", "常住人口", "resident population", required=False),
        _f("area_m2", "float", "面积", "area", required=False, unit="m²", minimum=0),
    ),
    code_digits=9,
    parent_field="district_code",
    parent_digits=6,
)
COMMUNITIES = LayerSchema(
    "communities",
    "社区村",
    "communities",
    "code",
    POLYGON,
    (
        _f("code", "str", "区划代码", "division code", pattern=r"\d{12}"),
        NAME,
        _f("street_code", "str", "所属街道代码", "street code", pattern=r"\d{9}"),
        _count("population", "常住人口", "resident population"),
        _count("elderly_60_plus", "60岁以上老人", "residents aged 60+"),
        _count("elderly_80_plus", "80岁以上老人", "residents aged 80+"),
        _count("basic_recipients", "基本养老服务对象", "basic-service recipients"),
        _f("households", "int", "户数", "households", unit="户", minimum=0),
        _f("area_m2", "float", "面积", "area", required=False, unit="m²", minimum=0),
    ),
    code_digits=12,
    parent_field="street_code",
    parent_digits=9,
)
STATIONS = LayerSchema(
    "stations",
    "社区养老服务驿站",
    "community elderly-care stations",
    "station_id",
    POINT,
    (
        _f("station_id", "str", "驿站编号", "station id"),
        NAME,
        _f("operator", "str", "运营方", "operator", required=False),
        _f("star_rating", "int", "星级", "star rating", required=False, minimum=0, maximum=5),
        _count("capacity_persons", "服务能力（签约人数）", "capacity (signed recipients)"),
        _f("status", "str", "状态", "status", choices=STATION_STATUS),
        _f("community_code", "str", "所在社区代码", "community code", required=False),
    ),
    editable=True,
)
MEAL_POINTS = LayerSchema(
    "meal_points",
    "养老助餐点",
    "elderly meal points",
    "meal_point_id",
    POINT,
    (
        _f("meal_point_id", "str", "助餐点编号", "meal point id"),
        NAME,
        _f("operator", "str", "运营方", "operator", required=False),
        _f("meals_per_day", "int", "日供餐能力", "meals per day", unit="餐/日", minimum=0),
        _f("status", "str", "状态", "status", required=False, choices=STATION_STATUS),
    ),
    editable=True,
)
SHELTERS = LayerSchema(
    "shelters",
    "应急避难场所",
    "emergency shelters",
    "shelter_id",
    (*POINT, *POLYGON),
    (
        _f("shelter_id", "str", "场所编号", "shelter id"),
        _f("name", "str", "名称", "name", required=False),
        _f("shelter_class", "str", "类别", "class", choices=("I类", "II类", "III类")),
        _f("effective_area_m2", "float", "有效避难面积", "effective area", unit="m²", minimum=0),
        _count("capacity_persons", "容纳人数", "capacity"),
    ),
    editable=True,
)
CEMETERIES = LayerSchema(
    "cemeteries",
    "公墓",
    "cemeteries",
    "cemetery_id",
    (*POLYGON, *POINT),
    (
        _f("cemetery_id", "str", "公墓编号", "cemetery id"),
        NAME,
        _f("cemetery_type", "str", "性质", "type", choices=("公益性", "经营性")),
        _f("total_plots", "int", "总墓穴数", "total plots", unit="穴", minimum=0),
        _f("remaining_plots", "int", "剩余墓穴数", "remaining plots", unit="穴", minimum=0),
        _f("area_m2", "float", "占地面积", "area", required=False, unit="m²", minimum=0),
    ),
    editable=True,
)
BOUNDARY_LINES = LayerSchema(
    "boundary_lines",
    "行政区域界线",
    "administrative boundary lines",
    "line_code",
    LINE,
    (
        _f("line_code", "str", "界线编号", "line code", pattern=r"\d{4}"),
        NAME,
        _f("left_code", "str", "一侧区划代码", "left unit code", pattern=r"\d{6}|\d{9}"),
        _f("left_name", "str", "一侧名称", "left unit"),
        _f("right_code", "str", "另一侧区划代码", "right unit code", pattern=r"\d{6}|\d{9}"),
        _f("right_name", "str", "另一侧名称", "right unit"),
        _f("length_m", "float", "长度", "length", required=False, unit="m", minimum=0),
    ),
)
MARKERS = LayerSchema(
    "markers",
    "界桩",
    "boundary markers",
    "marker_no",
    POINT,
    (
        _f("marker_no", "str", "界桩编号", "marker number", pattern=r"\d{7}[QABCDE]"),
        _f("line_code", "str", "界线编号", "line code", pattern=r"\d{4}"),
        _f("sequence", "int", "序号", "sequence", minimum=1, maximum=999),
        _f("marker_type", "str", "界桩类型", "marker type", choices=MARKER_TYPES),
        _f("sigma_m", "float", "登记位置中误差", "register standard error", unit="m", minimum=0),
        _f("reference_objects", "json", "方位物", "reference objects"),
        _f("installed_year", "int", "埋设年份", "year installed", required=False),
    ),
)
INSPECTIONS = LayerSchema(
    "inspections",
    "联检记录",
    "boundary inspection records",
    "inspection_id",
    POINT,
    (
        _f("inspection_id", "str", "记录编号", "record id"),
        _f("campaign_id", "str", "联检批次", "campaign"),
        _f("marker_no", "str", "界桩编号", "marker number", pattern=r"\d{7}[QABCDE]"),
        _f("inspected_at", "datetime", "检查时间", "inspected at"),
        _f("condition", "str", "界桩状况", "condition", choices=CONDITIONS),
        _f("damage_detail", "str", "损坏情况", "damage detail", required=False),
        _f("accuracy_m", "float", "水平精度", "horizontal accuracy", unit="m", minimum=0),
        _f("fix_type", "str", "定位方式", "fix type", choices=FIX_TYPES),
        _f("reference_status", "json", "方位物状况", "reference objects status", required=False),
        _f("actions", "json", "处理措施", "actions taken", required=False),
        _f("photos", "json", "照片", "photos", required=False),
        _f("notes", "str", "备注", "notes", required=False),
        _f("inspectors", "json", "联检人员", "inspectors"),
        _f("review_state", "str", "审核状态", "review state", choices=REVIEW_STATES),
        _f("displacement_m", "float", "偏移距离", "displacement", required=False, unit="m"),
        _f("suspected_displaced", "bool", "疑似移位", "suspected displaced", required=False),
    ),
)
ROADS = LayerSchema(
    "roads",
    "道路（步行网络）",
    "roads (walking network)",
    "edge_id",
    LINE,
    (
        _f("edge_id", "int", "路段编号", "edge id", minimum=0),
        _f("u", "int", "起点", "from node", required=False, minimum=0),
        _f("v", "int", "终点", "to node", required=False, minimum=0),
        _f("highway", "str", "道路等级", "highway class", required=False),
        _f("oneway", "bool", "单行", "one-way", required=False),
        _f("name", "str", "路名", "name", required=False),
        _f("length_m", "float", "长度", "length", required=False, unit="m", minimum=0),
    ),
)

SCHEMAS: dict[str, LayerSchema] = {
    s.kind: LayerSchema(**{**s.__dict__, "common": PROVENANCE})
    for s in (
        DISTRICTS,
        STREETS,
        COMMUNITIES,
        STATIONS,
        MEAL_POINTS,
        SHELTERS,
        CEMETERIES,
        BOUNDARY_LINES,
        MARKERS,
        INSPECTIONS,
        ROADS,
    )
}


def get_schema(kind: str) -> LayerSchema:
    """Return the schema of a layer kind, or raise :class:`UnknownLayerError`."""
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise UnknownLayerError(kind, list(SCHEMAS)) from None
