"""Column headers planners use, mapped to layer fields: the alias table and ``--map``.

A spreadsheet from a street office says ``名称``, ``助餐点编号``, ``日供餐能力(餐/日)``; the
layer wants ``name``, ``meal_point_id``, ``meals_per_day``. Each header is matched after
normalising it (case, spaces, a bracketed unit such as ``(餐/日)`` or ``（人）``) against:

1. the field names themselves (``meals_per_day``);
2. each field's own Chinese and English label in :mod:`layers.schema`
   (``日供餐能力``, ``meals per day``);
3. the aliases of :data:`FIELD_ALIASES` (``床位`` → ``capacity_persons``), and ``编号`` /
   ``ID`` for the kind's id column.

An explicit mapping (``{"供餐量": "meals_per_day"}``, the CLI's ``--map 供餐量=meals_per_day``)
wins over the table. Two headers landing on one field is an error naming both. Headers that
match nothing travel along as extra columns (``地址`` becomes ``address``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from layers._errors import LayerReadError
from layers.io._columns import normalise
from layers.schema import LayerSchema, get_schema

__all__ = ["FIELD_ALIASES", "ID_ALIASES", "HeaderMapping", "alias_table", "map_headers"]

#: headers planners use for each field, beyond the field's own labels
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("名称", "名字", "站点名称", "驿站名称", "助餐点名称", "场所名称", "公墓名称",
             "社区名称", "街道名称", "区县名称", "界线名称"),
    "operator": ("运营方", "运营单位", "运营机构", "运营主体", "承办方"),
    "star_rating": ("星级", "星级评定", "评定星级"),
    "capacity_persons": ("容量", "床位", "床位数", "服务能力", "签约人数", "容纳人数",
                         "可容纳人数"),
    "meals_per_day": ("日供餐能力", "供餐能力", "日供餐量", "日均供餐", "每日供餐"),
    "status": ("状态", "运营状态"),
    "community_code": ("所属社区", "所在社区", "社区代码", "所属社区代码"),
    "street_code": ("所属街道", "街道代码", "所属街道代码"),
    "district_code": ("所属区县", "区县代码", "所属区县代码"),
    "parent_code": ("上级代码", "上级区划代码"),
    "population": ("常住人口", "人口", "人口数"),
    "elderly_60_plus": ("60岁以上老人", "60岁以上人口", "60周岁以上老人", "老年人口"),
    "elderly_80_plus": ("80岁以上老人", "80岁以上人口", "80周岁以上老人", "高龄老人"),
    "basic_recipients": ("基本养老服务对象", "服务对象", "服务对象数"),
    "households": ("户数", "户籍户数", "家庭户数"),
    "area_m2": ("面积", "占地面积", "面积平方米"),
    "effective_area_m2": ("有效避难面积", "有效面积"),
    "shelter_class": ("类别", "场所类别", "避难场所类别"),
    "cemetery_type": ("性质", "公墓性质"),
    "total_plots": ("总墓穴数", "墓穴总数"),
    "remaining_plots": ("剩余墓穴数", "剩余墓穴"),
    "address": ("地址", "详细地址", "地点"),
    "source": ("数据来源", "来源"),
}  # fmt: skip
#: headers meaning "the id of this kind" (区划代码 for divisions, 驿站编号 for stations …)
ID_ALIASES = ("编号", "id", "代码", "编码", "区划代码", "行政区划代码")


@dataclass(frozen=True)
class HeaderMapping:
    """How the headers of a file became fields: ``renames`` (header → field, only where
    they differ), ``how`` (header → ``"map"``, ``"alias"`` or ``"field"``) and the headers
    kept as they are (``extra``)."""

    renames: dict[str, str]
    how: dict[str, str]
    extra: list[str]

    def field_of(self, header: str) -> str:
        return self.renames.get(header, header)

    def header_of(self, field: str) -> str | None:
        """The file's header of ``field`` (``None`` when it came as the field's name)."""
        return next((h for h, f in self.renames.items() if f == field), None)

    def lines(self) -> list[str]:
        """One bilingual line per header, for a dry run."""
        out = [f"  {h} → {self.field_of(h)} ({self.how[h]})" for h in self.how]
        out += [f"  {h} (kept as is / 原样保留)" for h in self.extra]
        return out


def _lookup(schema: LayerSchema) -> dict[str, str]:
    """Normalised header → field for one kind (the field's own name wins, then labels,
    then aliases)."""
    names = set(schema.field_names)
    table: dict[str, str] = {}
    for field, aliases in FIELD_ALIASES.items():
        if field in names or field == "address":
            for alias in aliases:
                table.setdefault(normalise(alias), field)
    for alias in ID_ALIASES:
        table[normalise(alias)] = schema.id_field
    for spec in schema.all_fields:
        table[normalise(spec.en)] = spec.name
        table[normalise(spec.zh)] = spec.name
    for name in names:
        table[normalise(name)] = name
    return table


def alias_table(kind: str) -> list[tuple[str, str, list[str]]]:
    """``(field, label, headers)`` of one kind: every header that maps to each field."""
    schema = get_schema(kind)
    lookup = _lookup(schema)
    rows = []
    for spec in schema.all_fields:
        headers = sorted({h for h, f in lookup.items() if f == spec.name and h != spec.name})
        rows.append((spec.name, f"{spec.zh} / {spec.en}", headers))
    return rows


def map_headers(
    headers: Sequence[str],
    kind: str,
    *,
    column_map: Mapping[str, str] | None = None,
    source: str = "",
) -> HeaderMapping:
    """How the ``headers`` of a file map to the fields of ``kind``.

    Raises
    ------
    LayerReadError
        A ``column_map`` header the file does not have or a target that is not a field of
        the kind, or two headers mapping to the same field.
    """
    schema = get_schema(kind)
    explicit = dict(column_map or {})
    _check_map(explicit, headers, schema, source)
    lookup = _lookup(schema)
    how: dict[str, str] = {}
    target: dict[str, str] = {}
    extra: list[str] = []
    for header in headers:
        if header in explicit:
            target[header], how[header] = explicit[header], "map"
        elif (field := lookup.get(normalise(header))) is not None:
            target[header] = field
            how[header] = "field" if field == header else "alias"
        else:
            extra.append(header)
    _check_unique(target, source)
    renames = {h: f for h, f in target.items() if h != f}
    return HeaderMapping(renames, how, extra)


def _check_map(
    explicit: dict[str, str], headers: Sequence[str], schema: LayerSchema, source: str
) -> None:
    missing = [h for h in explicit if h not in headers]
    if missing:
        msg = (
            f"{source}: --map names column(s) {missing} the file does not have; its columns"
            f" are {list(headers)} / --map 中的列 {missing} 不在文件中"
        )
        raise LayerReadError(msg)
    unknown = [f for f in explicit.values() if f not in schema.field_names and f != "address"]
    if unknown:
        msg = (
            f"{source}: --map target(s) {unknown} are not fields of {schema.kind};"
            f" fields are {schema.field_names} / --map 的目标 {unknown} 不是 {schema.zh} 的字段"
        )
        raise LayerReadError(msg)


def _check_unique(target: dict[str, str], source: str) -> None:
    by_field: dict[str, list[str]] = {}
    for header, field in target.items():
        by_field.setdefault(field, []).append(header)
    clashes = {f: hs for f, hs in by_field.items() if len(hs) > 1}
    if clashes:
        text = "; ".join(f"{f} ← {hs}" for f, hs in clashes.items())
        msg = (
            f"{source}: several columns map to one field ({text}); choose with --map"
            f" / 多列对应同一字段（{text}），请用 --map 指定"
        )
        raise LayerReadError(msg)
