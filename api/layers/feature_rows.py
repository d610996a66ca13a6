"""A feature of a Part 4 request as one validated row of its layer.

The ids a request names must agree (:func:`agree_ids`), its GeoJSON geometry becomes
shapely (:func:`geometry_of`), its properties one row validated by the layer schema
(:func:`clean_row`); every problem is told with its field and value
(:class:`~api.errors.FeatureValidationError`, 422). :func:`position` and :func:`stack`
place that row in the layer's frame. Used by :class:`api.layers.service.FeatureEditor`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import shape

from api.errors import FeatureValidationError
from layers._errors import LayerValidationError, Problem
from layers.schema import STORE_CRS, get_schema
from layers.store import LayerInfo
from layers.validate import validate

__all__ = ["agree_ids", "clean_row", "geometry_of", "position", "stack"]


def _invalid(info: LayerInfo, feature_id: str | None, *problems: Problem) -> FeatureValidationError:
    return FeatureValidationError(info.kind, list(problems), layer=info.name, feature_id=feature_id)


def agree_ids(
    props: dict[str, Any],
    id_field: str,
    given: object,
    *,
    info: LayerInfo,
    feature_id: str | None,
) -> None:
    """The id property, the Feature's ``id`` and the path's id (when given) must agree."""
    for value in (props.get(id_field), given):
        if value is None:
            continue
        expected = feature_id if feature_id is not None else props.get(id_field, given)
        if str(value) != str(expected):
            reason = (
                f"ids differ ({value!r} vs {expected!r}); an id cannot be changed, create a new"
                f" feature instead / 编号不一致，要素编号不能修改，请新增要素"
            )
            raise _invalid(info, feature_id, Problem(None, id_field, value, reason))


def geometry_of(
    geometry: dict[str, Any] | None, info: LayerInfo, *, feature_id: str | None = None
) -> shapely.Geometry | None:
    """A GeoJSON geometry as shapely (``None`` stays ``None``: the schema refuses it)."""
    if geometry is None:
        return None
    try:
        return shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        reason = f"not a GeoJSON geometry ({exc}) / 不是有效的 GeoJSON 几何"
        shown = json.dumps(geometry, ensure_ascii=False)[:120]
        raise _invalid(info, feature_id, Problem(None, "geometry", shown, reason)) from None


def clean_row(
    info: LayerInfo,
    props: dict[str, Any],
    geometry: shapely.Geometry | None,
    *,
    columns: pd.Index,
    feature_id: str | None = None,
) -> gpd.GeoDataFrame:
    """One feature as a one-row frame validated for the layer's kind."""
    schema = get_schema(info.kind)
    known = set(schema.field_names) | {str(c) for c in columns} - {"geometry"}
    problems, data = [], {}
    for key, value in props.items():
        spec = schema.get_field(key)
        if key not in known:
            fields = ", ".join(schema.field_names)
            reason = f"not a field of this layer (fields: {fields}) / 不是该图层的字段"
            problems.append(Problem(None, key, value, reason))
        elif isinstance(value, list | dict) and (spec is None or spec.dtype != "json"):
            reason = "must be a single value, not a list or object / 应为单个值"
            problems.append(Problem(None, key, json.dumps(value, ensure_ascii=False), reason))
        else:
            data[key] = pd.Series([value], dtype=object)
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([geometry]), crs=STORE_CRS)
    try:
        clean, _ = validate(frame, info.kind)
    except LayerValidationError as exc:
        problems += [replace(p, row=None) for p in exc.errors]
    if problems:
        raise _invalid(info, feature_id, *problems)
    return clean


def position(frame: gpd.GeoDataFrame, id_field: str, feature_id: str) -> int | None:
    """Row position of ``feature_id`` in ``frame`` (``None`` when absent)."""
    hits = (frame[id_field].astype(str) == str(feature_id)).to_numpy().nonzero()[0]
    return int(hits[0]) if len(hits) else None


def stack(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """The parts one under another, as one layer frame in the store's CRS."""
    present = [p for p in parts if len(p)] or parts[:1]
    joined = pd.concat(present, ignore_index=True)
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=STORE_CRS)
