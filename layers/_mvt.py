"""A vectorised encoder of one Mapbox vector tile layer (MVT 2.1).

Geometries arrive already in tile units (floats, y down); everything per coordinate runs on
NumPy arrays: quantising, dropping repeated points, the winding rule of polygons (exterior
rings positive by the surveyor's formula in tile coordinates, interior rings negative, rings
that quantise to nothing dropped), the command stream with its zig-zag deltas and the varint
bytes. Only the final framing of each feature message is a Python loop over features, which
keeps a tile of 20,000 polygons to a fraction of a second (the pure-Python encoders spend
tens of microseconds on every feature).

The wire format: ``Tile{layers=3}``, ``Layer{name=1, features=2, keys=3, values=4,
extent=5, version=15}``, ``Feature{tags=2 packed, type=3, geometry=4 packed}``,
``Value{string=1, double=3, uint=5, sint=6, bool=7}``.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

__all__ = ["PropertyCodes", "encode_layer"]

_MOVE_TO, _LINE_TO, _CLOSE = 1, 2, 7
_POINT, _LINE, _POLYGON = 1, 2, 3
IntArray = NDArray[np.int64]


def _varints(values: NDArray[np.uint64]) -> tuple[NDArray[np.uint8], IntArray]:
    """Every value as a varint: the bytes, and each value's byte count."""
    values = values.astype(np.uint64)
    counts = np.ones(len(values), dtype=np.int64)
    for bits in (7, 14, 21, 28, 35, 42, 49, 56, 63):
        counts += values >= np.uint64(1 << bits)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(values)), counts)
    starts = np.cumsum(counts) - counts
    k = np.arange(total, dtype=np.int64) - np.repeat(starts, counts)
    shifted = values[owner] >> (7 * k).astype(np.uint64)
    out = (shifted & np.uint64(0x7F)).astype(np.uint8)
    more = k < (counts[owner] - 1)
    out[more] |= 0x80
    return out, counts


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _zigzag(values: IntArray) -> NDArray[np.uint64]:
    return ((values << 1) ^ (values >> 63)).astype(np.uint64)


def _command(cmd: int, count: IntArray | int) -> IntArray:
    return (np.asarray(count, dtype=np.int64) << 3) | cmd


@dataclass
class _Parts:
    """Kept points of one geometry type, grouped in parts (rings or lines) and features."""

    xy: IntArray  # (n, 2) tile units
    part_sizes: IntArray  # points per part
    feature_of_part: IntArray  # feature index of each part (sorted)


def _dedupe(xy: IntArray, part_start: IntArray, part_sizes: IntArray) -> NDArray[np.bool_]:
    """Mask of points that differ from the previous point of their part (first always)."""
    keep = np.ones(len(xy), dtype=bool)
    if len(xy) > 1:
        keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    keep[part_start[part_sizes > 0]] = True
    return keep


def _regroup(mask: NDArray[np.bool_], part_sizes: IntArray) -> IntArray:
    """New sizes of parts after keeping ``mask`` of their points."""
    owner = np.repeat(np.arange(len(part_sizes)), part_sizes)
    return np.bincount(owner[mask], minlength=len(part_sizes)).astype(np.int64)


def _ring_areas(xy: IntArray, sizes: IntArray) -> NDArray[np.float64]:
    """Twice the signed area (surveyor's formula) of each closed ring of ``sizes`` points."""
    starts = np.cumsum(sizes) - sizes
    owner = np.repeat(np.arange(len(sizes)), sizes)
    nxt = np.arange(len(xy)) + 1
    last = starts + sizes - 1
    nxt[last[sizes > 0]] = starts[sizes > 0]  # close each ring
    x, y = xy[:, 0].astype(np.float64), xy[:, 1].astype(np.float64)
    cross: NDArray[np.float64] = x * y[nxt] - x[nxt] * y
    return np.bincount(owner, weights=cross, minlength=len(sizes)).astype(np.float64)


def _ragged(geoms: NDArray[np.object_], depth: int) -> tuple[NDArray[np.float64], list[IntArray]]:
    """Coordinates and ``depth`` offset arrays of ``geoms`` as the multi-part type (a layer of
    single parts gets one part per feature)."""
    simple = _simple_parts(geoms, depth)
    if simple is not None:
        return simple
    _, coords, offsets = shapely.to_ragged_array(shapely.force_2d(geoms))
    found = [np.asarray(o, dtype=np.int64) for o in offsets]
    if len(found) < depth:  # single parts: one per feature
        found.append(np.arange(len(geoms) + 1, dtype=np.int64))
    return np.asarray(coords), found


def _simple_parts(
    geoms: NDArray[np.object_], depth: int
) -> tuple[NDArray[np.float64], list[IntArray]] | None:
    """The ragged arrays of single lines or of polygons without holes, straight from their
    coordinates (the common case, much faster than the general conversion); else ``None``."""
    types = shapely.get_type_id(geoms)
    if depth == 3 and not (np.all(types == 3) and not shapely.get_num_interior_rings(geoms).any()):
        return None
    if depth == 2 and not np.all(types == 1):
        return None
    if depth == 1 or shapely.has_z(geoms).any():
        return None
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(index, minlength=len(geoms))
    one_each = np.arange(len(geoms) + 1, dtype=np.int64)
    part_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return coords, [part_off, *([one_each] * (depth - 1))]


def _reverse_rings(xy: IntArray, sizes: IntArray, flip: NDArray[np.bool_]) -> IntArray:
    """``xy`` with the points of the rings marked ``flip`` in reverse order."""
    if not flip.any():
        return xy
    starts = np.cumsum(sizes) - sizes
    ring = np.repeat(np.arange(len(sizes)), sizes)
    pos = np.arange(len(xy))
    turn = flip[ring]
    perm = pos.copy()
    perm[turn] = 2 * starts[ring[turn]] + sizes[ring[turn]] - 1 - pos[turn]
    return xy[perm]


def _polygon_parts(geoms: NDArray[np.object_], n_features: int) -> _Parts:
    coords, (ring_off, poly_off, multi_off) = _ragged(geoms, 3)
    xy = np.rint(coords).astype(np.int64)
    ring_sizes = np.diff(ring_off)
    ring_start = ring_off[:-1]
    # drop each ring's closing point, then repeated points (and a last point equal to the first)
    mask = np.ones(len(xy), dtype=bool)
    mask[ring_off[1:][ring_sizes > 0] - 1] = False
    mask &= _dedupe(xy, ring_start, ring_sizes)
    sizes = _regroup(mask, ring_sizes)
    xy = xy[mask]
    starts = np.cumsum(sizes) - sizes
    last = starts + sizes - 1
    closing = np.zeros(len(sizes), dtype=bool)
    if len(xy):
        first_xy, last_xy = xy[np.minimum(starts, len(xy) - 1)], xy[np.maximum(last, 0)]
        closing = (sizes > 1) & np.all(first_xy == last_xy, axis=1)
    if closing.any():
        drop = np.ones(len(xy), dtype=bool)
        drop[last[closing]] = False
        xy, sizes = xy[drop], _regroup(drop, sizes)
    ring_poly = np.repeat(np.arange(len(poly_off) - 1), np.diff(poly_off))
    ring_feature = np.repeat(np.arange(n_features), np.diff(multi_off)[:n_features])[ring_poly]
    first_ring = np.zeros(len(sizes), dtype=bool)
    first_ring[poly_off[:-1][np.diff(poly_off) > 0]] = True
    areas = _ring_areas(xy, sizes) if len(sizes) else np.zeros(0)
    # the winding rule: exterior rings positive, holes negative; a ring the other way round
    # is reversed, one that quantised to no area is dropped
    xy = _reverse_rings(xy, sizes, np.where(first_ring, areas < 0, areas > 0))
    good = (sizes >= 3) & (areas != 0)
    # a polygon whose exterior went is dropped with its holes
    exterior_ok = np.zeros(len(poly_off) - 1, dtype=bool)
    exterior_ok[ring_poly[first_ring]] = good[first_ring]
    good &= exterior_ok[ring_poly]
    point_mask = np.repeat(good, sizes)
    return _Parts(xy[point_mask], sizes[good], ring_feature[good])


def _line_parts(geoms: NDArray[np.object_], n_features: int) -> _Parts:
    coords, (part_off, multi_off) = _ragged(geoms, 2)
    xy = np.rint(coords).astype(np.int64)
    sizes = np.diff(part_off)
    mask = _dedupe(xy, part_off[:-1], sizes)
    sizes, xy = _regroup(mask, sizes), xy[mask]
    feature = np.repeat(np.arange(n_features), np.diff(multi_off)[:n_features])
    good = sizes >= 2
    return _Parts(xy[np.repeat(good, sizes)], sizes[good], feature[good])


def _point_parts(geoms: NDArray[np.object_], n_features: int) -> _Parts:
    coords, (multi_off,) = _ragged(geoms, 1)
    xy = np.rint(coords).astype(np.int64)
    counts = np.diff(multi_off)[:n_features]
    # a feature's points form one part (one MoveTo with all of them)
    return _Parts(xy, counts, np.arange(n_features))


def _commands(parts: _Parts, kind: int, n_features: int) -> tuple[IntArray, IntArray]:
    """The command stream of every feature and how many integers each feature has."""
    sizes, xy = parts.part_sizes, parts.xy
    block = 1 + 2 * sizes if kind == _POINT else 2 * sizes + (3 if kind == _POLYGON else 2)
    block = np.where(sizes > 0, block, 0)
    block_start = np.cumsum(block) - block
    stream = np.zeros(int(block.sum()), dtype=np.int64)
    point_part = np.repeat(np.arange(len(sizes)), sizes)
    point_feature = parts.feature_of_part[point_part]
    prev = np.vstack([np.zeros((1, 2), dtype=np.int64), xy[:-1]])
    new_feature = np.ones(len(xy), dtype=bool)
    new_feature[1:] = point_feature[1:] != point_feature[:-1]
    prev[new_feature] = 0  # the cursor starts at the origin in every feature
    delta = xy - prev
    index_in_part = np.arange(len(xy)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    head = 1 if kind == _POINT else np.where(index_in_part > 0, 2, 1)
    pos = np.repeat(block_start, sizes) + head + 2 * index_in_part
    stream[pos] = _zigzag(delta[:, 0]).astype(np.int64)
    stream[pos + 1] = _zigzag(delta[:, 1]).astype(np.int64)
    has = sizes > 0
    stream[block_start[has]] = _command(_MOVE_TO, 1 if kind != _POINT else sizes[has])
    if kind != _POINT:
        stream[block_start[has] + 3] = _command(_LINE_TO, sizes[has] - 1)
    if kind == _POLYGON:
        stream[block_start[has] + block[has] - 1] = _command(_CLOSE, 1)
    per_feature = np.bincount(parts.feature_of_part, weights=block, minlength=n_features)
    return stream, per_feature.astype(np.int64)


def _geometry_bytes(geoms: NDArray[np.object_]) -> tuple[list[bytes], list[int]]:
    """Each feature's encoded geometry and MVT type (``b""`` where nothing is left)."""
    n = len(geoms)
    type_ids = shapely.get_type_id(geoms)
    out: list[bytes] = [b""] * n
    kinds = [0] * n
    for kind, ids, parts_of in (
        (_POINT, (0, 4), _point_parts),
        (_LINE, (1, 5), _line_parts),
        (_POLYGON, (3, 6), _polygon_parts),
    ):
        which = np.flatnonzero(np.isin(type_ids, ids))
        if not len(which):
            continue
        stream, per_feature = _commands(parts_of(geoms[which], len(which)), kind, len(which))
        data, counts = _varints(stream.astype(np.uint64))
        byte_ends = np.cumsum(np.bincount(
            np.repeat(np.arange(len(which)), per_feature), weights=counts, minlength=len(which)
        )).astype(np.int64)  # fmt: skip
        raw = data.tobytes()
        start = 0
        for j, end in zip(which, byte_ends, strict=True):
            out[j], start = raw[start:end], int(end)
            kinds[j] = kind
    return out, kinds


def _value_bytes(value: Any) -> bytes:
    if isinstance(value, bool):
        body = b"\x38" + (b"\x01" if value else b"\x00")
    elif isinstance(value, int) and -(1 << 63) <= value < (1 << 64):
        if value >= 0:
            body = b"\x28" + _varint(value)
        else:
            body = b"\x30" + _varint(((value << 1) ^ (value >> 63)) & ((1 << 64) - 1))
    elif isinstance(value, float):
        body = b"\x19" + struct.pack("<d", value)
    else:
        text = str(value).encode("utf-8")
        if len(text) < 126:  # both lengths fit one byte: the common case of names and codes
            return bytes((0x22, len(text) + 2, 0x0A, len(text))) + text
        body = b"\x0a" + _varint(len(text)) + text
    return b"\x22" + _varint(len(body)) + body


@dataclass(frozen=True)
class PropertyCodes:
    """The properties of a set of features, encoded once: per column its key, each
    feature's code (``-1`` where missing) and the encoded distinct values."""

    keys: list[str]
    codes: IntArray  # (features, columns)
    values: list[list[bytes]]

    @classmethod
    def of(cls, table: pd.DataFrame) -> PropertyCodes:
        """Encode the columns of ``table`` (one row per feature)."""
        codes = np.full((len(table), len(table.columns)), -1, dtype=np.int64)
        values = []
        for k, name in enumerate(table.columns):
            codes[:, k], encoded = _column_values(table[name])
            values.append(encoded)
        return cls([str(c) for c in table.columns], codes, values)

    def take(self, rows: IntArray) -> PropertyCodes:
        """The properties of features ``rows`` (positions)."""
        return PropertyCodes(self.keys, self.codes[rows], self.values)


def _column_values(column: pd.Series) -> tuple[IntArray, list[bytes]]:
    """Codes of a column's values (-1 where missing) and the encoded distinct values."""
    if pd.api.types.is_bool_dtype(column):
        values = column.astype(object)
    elif pd.api.types.is_integer_dtype(column):
        values = column.astype("Int64").astype(object)
    elif pd.api.types.is_float_dtype(column):
        values = column.astype(float).where(np.isfinite(column.astype(float)))
    else:
        values = column.map(_text)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), [_value_bytes(_plain(u)) for u in uniques]


def _text(value: Any) -> str | None:
    """A property value as text: lists and mappings as JSON (the pages parse them back)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _tags(props: PropertyCodes) -> tuple[list[bytes], list[bytes]]:
    """The tile's encoded values (only those its features use) and each feature's packed
    tags (missing values left out)."""
    n, width = props.codes.shape
    values: list[bytes] = []
    pairs = np.full((n, 2 * width), -1, dtype=np.int64)
    for k in range(width):
        codes = props.codes[:, k]
        present = codes >= 0
        used, local = np.unique(codes[present], return_inverse=True)
        pairs[present, 2 * k] = k
        pairs[present, 2 * k + 1] = local + len(values)
        encoded = props.values[k]
        values += [encoded[i] for i in used.tolist()]
    kept = pairs >= 0
    data, counts = _varints(pairs[kept].astype(np.uint64))
    per_row = np.bincount(np.nonzero(kept)[0], weights=counts, minlength=n).astype(np.int64)
    ends = np.cumsum(per_row)
    raw = data.tobytes()
    return values, [raw[s:e] for s, e in zip((ends - per_row).tolist(), ends.tolist(), strict=True)]


def encode_layer(
    geoms: NDArray[np.object_], props: PropertyCodes, *, name: str, extent: int
) -> bytes:
    """A tile holding one layer: ``geoms`` in tile units (y down) with properties ``props``
    (one row per geometry; missing values are left out of a feature).

    Features whose geometry quantises to nothing are left out; an empty layer gives ``b""``.
    """
    geometry, kinds = _geometry_bytes(geoms)
    keys = props.keys
    values, tags = _tags(props)
    features = []
    for geom, kind, tag in zip(geometry, kinds, tags, strict=True):
        if not geom:
            continue
        body = b"\x12" + _varint(len(tag)) + tag if tag else b""
        body += b"\x18" + _varint(kind) + b"\x22" + _varint(len(geom)) + geom
        features.append(b"\x12" + _varint(len(body)) + body)
    if not features:
        return b""
    label = name.encode("utf-8")
    layer = [b"\x78\x02", b"\x0a" + _varint(len(label)) + label, *features]
    layer += [b"\x1a" + _varint(len(k.encode("utf-8"))) + k.encode("utf-8") for k in keys]
    layer += [*values, b"\x28" + _varint(extent)]
    body = b"".join(layer)
    return b"\x1a" + _varint(len(body)) + body
