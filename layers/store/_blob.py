"""GeoPackage geometry blobs (GPKG header + ISO WKB), encoded and decoded in bulk."""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import shapely

__all__ = ["decode", "encode", "envelope", "is_empty"]

_MAGIC = b"GP"
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_EMPTY_FLAG = 0b0001_0000


def encode(geoms: np.ndarray, srs_id: int) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage blobs (little-endian, xy envelope except
    for points, as GDAL writes them)."""
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    wkb = shapely.to_wkb(geoms, byte_order=1, output_dimension=2)
    bounds = shapely.bounds(geoms)
    points = shapely.get_type_id(geoms) == 0
    out: list[bytes | None] = []
    for i in range(len(geoms)):
        if missing[i]:
            out.append(None)
            continue
        if empty[i] or points[i]:
            flags = 0b0000_0001 | (_EMPTY_FLAG if empty[i] else 0)
            out.append(_MAGIC + struct.pack("<BBi", 0, flags, srs_id) + wkb[i])
            continue
        x0, y0, x1, y1 = bounds[i]
        head = _MAGIC + struct.pack("<BBi4d", 0, 0b0000_0011, srs_id, x0, x1, y0, y1)
        out.append(head + wkb[i])
    return out


def _header_length(blob: bytes) -> int:
    flags = blob[3]
    return 8 + _ENVELOPE_BYTES[(flags >> 1) & 0b111]


def decode(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Decode GeoPackage blobs into shapely geometries (``None`` stays missing)."""
    wkb = [None if b is None else bytes(b[_header_length(b) :]) for b in blobs]
    return shapely.from_wkb(np.array(wkb, dtype=object))


def is_empty(blob: bytes | None) -> int | None:
    """SQL function ``ST_IsEmpty`` for the R-tree triggers GDAL and QGIS expect."""
    if blob is None:
        return None
    return int(bool(blob[3] & _EMPTY_FLAG))


def envelope(blob: bytes) -> tuple[float, float, float, float]:
    """(min x, max x, min y, max y) of a blob, from its header or its geometry."""
    flags = blob[3]
    if (flags >> 1) & 0b111:
        fmt = "<4d" if flags & 1 else ">4d"
        x0, x1, y0, y1 = struct.unpack(fmt, blob[8:40])
        return x0, x1, y0, y1
    geom = shapely.from_wkb(bytes(blob[_header_length(blob) :]))
    bx0, by0, bx1, by1 = shapely.bounds(geom)
    return float(bx0), float(bx1), float(by0), float(by1)


def _envelope_part(index: int):  # type: ignore[no-untyped-def]
    def part(blob: bytes | None) -> float | None:
        return None if blob is None else envelope(blob)[index]

    return part


SQL_FUNCTIONS = {
    "ST_MinX": _envelope_part(0),
    "ST_MaxX": _envelope_part(1),
    "ST_MinY": _envelope_part(2),
    "ST_MaxY": _envelope_part(3),
    "ST_IsEmpty": is_empty,
}
