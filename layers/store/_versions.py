"""Layer versions: the data a write replaces is kept, so any change can be undone.

Every write of a layer (an import, an edit, a restore) makes a new version. Inside the same
transaction, the data of the version it replaces is kept in the table
``mzgis_layer_versions`` (one row per kept version: name, version, kind and the frame
encoded by :func:`encode`). The history table ``mzgis_layers_history`` says, for every
version, when it was written (UTC), by what (``source``: the command, file and mode, or
``restore of version 3``) and how many features it held. Restoring a version writes its kept
data as a new version, so a restore can itself be undone.

Retention: the data of the newest ``versions_kept`` replaced versions of each layer is kept
(:data:`DEFAULT_VERSIONS_KEPT`); older data is dropped when a write goes beyond it, while
its history row stays (``kept`` false). Deleting a layer keeps its last data too.

The encoding is JSON (zlib-compressed) and exact: numbers keep every bit (JSON writes
Python's shortest round-trip repr), datetimes are integer nanoseconds, geometries WKB, and
each column records its pandas dtype, so a restored layer reads back equal to the old one.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers._errors import ConflictError, PreconditionFailedError, StoreError
from layers.schema import STORE_CRS

__all__ = [
    "DEFAULT_VERSIONS_KEPT",
    "SQL",
    "VERSIONS_TABLE",
    "LayerVersion",
    "beijing_time",
    "check_expected",
    "check_versions_kept",
    "decode",
    "encode",
    "history_rows",
    "not_kept",
]

VERSIONS_TABLE = "mzgis_layer_versions"
#: replaced versions of each layer whose data is kept (older ones keep their history row)
DEFAULT_VERSIONS_KEPT = 20
FORMAT = 1
BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


#: the statements both backends run, with ``{versions}``, ``{history}`` and ``{layers}``
#: for the tables and ``%s`` for values (the GeoPackage store writes ``?``)
SQL = {
    "keep": "INSERT INTO {versions} (name, version, kind, data) VALUES (%s, %s, %s, %s)",
    "prune": (
        "DELETE FROM {versions} WHERE name = %s AND version <= (SELECT version FROM {versions}"
        " WHERE name = %s ORDER BY version DESC LIMIT 1 OFFSET %s)"
    ),
    "history": (
        "SELECT h.version, h.kind, h.updated_at, h.source, h.row_count,"
        " v.version IS NOT NULL, l.version IS NOT NULL FROM {history} h"
        " LEFT JOIN {versions} v ON v.name = h.name AND v.version = h.version"
        " LEFT JOIN {layers} l ON l.name = h.name AND l.version = h.version"
        " WHERE h.name = %s ORDER BY h.version"
    ),
    "kept": "SELECT kind, data FROM {versions} WHERE name = %s AND version = %s",
    "record": (
        "INSERT INTO {history} (name, kind, version, updated_at, source, row_count)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
    ),
}


def check_versions_kept(value: int) -> int:
    """The retention setting, checked: a whole number ≥ 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"versions kept must be a whole number ≥ 1, got {value!r} / 保留版本数须为 ≥ 1 的整数"
        raise StoreError(msg)
    return value


def check_expected(name: str, expected: int | None, current: int) -> None:
    """Refuse a write based on another version than the current one (0: no layer)."""
    if expected is None or expected == current:
        return
    msg = (
        f"layer {name!r} is at version {current}, the change was based on version {expected};"
        f" reload and try again / 图层 {name!r} 已是版本 {current}，此修改基于版本 {expected}，"
        "请重新读取后再试"
    )
    raise PreconditionFailedError(msg)


def history_rows(name: str, rows: list[tuple[Any, ...]]) -> list[LayerVersion]:
    """History rows as read by ``SQL["history"]``."""
    return [
        LayerVersion(
            name=name,
            version=int(version),
            kind=kind,
            updated_at=updated,
            source=source or "",
            row_count=None if count is None else int(count),
            kept=bool(kept),
            current=bool(current),
        )
        for version, kind, updated, source, count, kept, current in rows
    ]


def not_kept(name: str, version: int) -> ConflictError:
    """The error for a version whose data is not kept."""
    msg = (
        f"the data of version {version} of layer {name!r} is not kept (the current version,"
        f" older than the retention setting, or no such version); see its history"
        f" / 图层 {name!r} 的版本 {version} 数据未保留（当前版本、超出保留数量或不存在），"
        "请查看版本历史"
    )
    return ConflictError(msg)


def beijing_time(stamp: str) -> str:
    """A stored UTC time (ISO 8601) as Beijing time, to the second: ``2026-12-07 18:10:21``."""
    parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return parsed.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class LayerVersion:
    """One version of a layer in its history.

    ``updated_at`` is UTC (ISO 8601), ``beijing`` the same time as people read it;
    ``source`` says what wrote it; ``kept`` whether its data can be restored (the current
    version's data is the layer itself).
    """

    name: str
    version: int
    kind: str
    updated_at: str
    source: str
    row_count: int | None
    kept: bool
    current: bool

    @property
    def beijing(self) -> str:
        return beijing_time(self.updated_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "updated_at": self.updated_at,
            "updated_at_beijing": self.beijing,
            "source": self.source,
            "row_count": self.row_count,
            "kept": self.kept,
            "current": self.current,
        }


def encode(frame: gpd.GeoDataFrame) -> bytes:
    """A layer as it was read from a store, as compressed bytes :func:`decode` reverses."""
    geometry = frame.geometry.name
    columns = [_encode_column(c, frame[c]) for c in frame.columns if c != geometry]
    wkb = shapely.to_wkb(frame.geometry.to_numpy(), hex=True, output_dimension=2)
    payload = {
        "format": FORMAT,
        "columns": columns,
        "geometry": [None if g is None else str(g) for g in wkb.tolist()],
    }
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        msg = f"cannot keep the layer's previous version: {exc} / 无法保存图层的上一版本"
        raise StoreError(msg) from exc
    return zlib.compress(text.encode("utf-8"), 6)


def decode(data: bytes) -> gpd.GeoDataFrame:
    """The frame :func:`encode` was given (same columns, dtypes, values and geometries)."""
    payload = json.loads(zlib.decompress(data).decode("utf-8"))
    if payload.get("format") != FORMAT:
        msg = f"unknown layer version format {payload.get('format')!r} / 无法识别的图层版本格式"
        raise StoreError(msg)
    wkb = np.array(payload["geometry"], dtype=object)
    geoms = shapely.from_wkb(wkb)
    data_columns = {c["name"]: _decode_column(c) for c in payload["columns"]}
    series = gpd.GeoSeries(geoms, crs=STORE_CRS)
    return gpd.GeoDataFrame(data_columns, geometry=series, crs=STORE_CRS)


def _encode_column(name: str, values: pd.Series) -> dict[str, Any]:
    dtype = str(values.dtype)
    if pd.api.types.is_datetime64_any_dtype(values):
        nanos = values.dt.as_unit("ns")
        ints = nanos.to_numpy(dtype="datetime64[ns]").view("i8").astype(object)
        ints[nanos.isna().to_numpy()] = None
        return {"name": name, "dtype": dtype, "nanoseconds": True, "values": ints.tolist()}
    if pd.api.types.is_float_dtype(values):
        return {"name": name, "dtype": dtype, "values": values.to_numpy(dtype=float).tolist()}
    plain = values.astype(object)  # lists and dicts (JSON columns) are never "missing"
    return {"name": name, "dtype": dtype, "values": plain.where(values.notna(), None).tolist()}


def _json_default(value: Any) -> Any:
    """numpy scalars as Python numbers; anything else cannot be kept exactly."""
    if isinstance(value, np.generic):
        return value.item()
    msg = f"a value of type {type(value).__name__} cannot be kept"
    raise TypeError(msg)


def _decode_column(column: dict[str, Any]) -> pd.Series:
    dtype, values = column["dtype"], column["values"]
    if column.get("nanoseconds"):
        ints = pd.array(values, dtype="Int64")
        stamps = pd.to_datetime(ints, unit="ns", utc=True)
        return pd.Series(stamps).astype(dtype)
    if dtype == "object":
        return pd.Series(values, dtype=object)
    return pd.Series(values, dtype=dtype)
