"""GeoJSON (RFC 7946) text from GeoDataFrames, written in bulk.

Geometries go through GEOS in one call (``shapely.to_geojson``), properties through pandas'
C JSON writer (``DataFrame.to_json``), so a 30,000-feature road layer serialises several times
faster than :meth:`geopandas.GeoDataFrame.to_json`. Properties are JSON-safe: NaN, NA and
±inf become ``null``, datetimes ISO 8601, JSON columns (lists, dicts) nested objects.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

__all__ = ["COORD_DECIMALS", "feature_collection", "feature_document", "feature_strings"]

#: decimals kept in lon/lat coordinates: 1e-7 degree is about 1 cm
COORD_DECIMALS = 7
LONLAT_CRS = "EPSG:4326"


def feature_strings(gdf: gpd.GeoDataFrame, *, id_field: str | None = None) -> list[str]:
    """One GeoJSON Feature text per row.

    Parameters
    ----------
    gdf
        The features; converted to lon/lat (EPSG:4326) when in another CRS.
    id_field
        The column whose values become each feature's ``id`` (kept in ``properties`` too);
        ``None`` (or a column the frame lacks) writes no ``id``.

    Returns
    -------
    list of str
        ``{"type":"Feature","id":…,"geometry":…,"properties":{…}}`` texts, in row order.
    """
    if len(gdf) == 0:
        return []
    if gdf.crs is not None and not gdf.crs.equals(LONLAT_CRS):
        gdf = gdf.to_crs(LONLAT_CRS)
    geometries = _geometry_texts(gdf.geometry.to_numpy())
    properties = _property_texts(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    if id_field is None or id_field not in gdf.columns:
        return [
            f'{{"type":"Feature","geometry":{g},"properties":{p}}}'
            for g, p in zip(geometries, properties, strict=True)
        ]
    ids = _id_texts(gdf[id_field])
    return [
        f'{{"type":"Feature","id":{i},"geometry":{g},"properties":{p}}}'
        for i, g, p in zip(ids, geometries, properties, strict=True)
    ]


def feature_collection(
    gdf: gpd.GeoDataFrame, *, id_field: str | None = None, members: dict[str, Any] | None = None
) -> str:
    """A FeatureCollection text: ``members`` (``numberMatched``, ``links``, …) then the
    ``features``."""
    head = json.dumps(
        {"type": "FeatureCollection", **(members or {})}, ensure_ascii=False, separators=(",", ":")
    )
    features = ",".join(feature_strings(gdf, id_field=id_field))
    return f'{head[:-1]},"features":[{features}]}}'


def feature_document(
    gdf: gpd.GeoDataFrame, *, id_field: str | None = None, members: dict[str, Any] | None = None
) -> str:
    """The first row of ``gdf`` as one Feature text, with extra ``members`` (``links``)."""
    (text,) = feature_strings(gdf.iloc[:1], id_field=id_field)
    if not members:
        return text
    extra = json.dumps(members, ensure_ascii=False, separators=(",", ":"))
    return f"{text[:-1]},{extra[1:]}"


def _round(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.round(coords, COORD_DECIMALS)


def _geometry_texts(geoms: NDArray[np.object_]) -> list[str]:
    texts = shapely.to_geojson(shapely.transform(geoms, _round))
    return np.where(pd.isna(texts), "null", texts).tolist()


def _property_texts(frame: pd.DataFrame) -> list[str]:
    if frame.shape[1] == 0:
        return ["{}"] * len(frame)
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    text = frame.to_json(
        orient="records",
        lines=True,
        force_ascii=False,
        date_format="iso",
        double_precision=10,
        default_handler=str,
    )
    # records are one per line; JSON strings escape newlines, so splitting on "\n" is safe
    return text.rstrip("\n").split("\n")


def _id_texts(ids: pd.Series) -> list[str]:
    missing = ids.isna().to_numpy(dtype=bool)
    if pd.api.types.is_integer_dtype(ids.dtype):
        texts = ids.to_numpy(dtype="int64", na_value=0).astype(str).astype(object)
    else:
        texts = np.array([_id_text(v) for v in ids.tolist()], dtype=object)
    texts[missing] = "null"
    return texts.tolist()


def _id_text(value: object) -> str:
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value) if np.isfinite(value) else "null"
    return encode_basestring(str(value))
