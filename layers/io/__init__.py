"""Import and export of layers: files in, validated layers into a store, files out.

- :func:`read_file`: GeoPackage, GeoJSON, Shapefile, CSV (UTF-8 or GBK) and XLSX, with
  point columns named or detected, and GCJ-02/BD-09 converted to WGS84 when declared.
- :func:`import_file`: read, validate and store, all or nothing; warns when points declared
  as WGS84 look like GCJ-02 (:func:`looks_shifted`).
- :func:`write_file` and :func:`export_layer`: the format chosen by file suffix.

Row numbers in every message and :class:`~layers.Problem` are 0-based data rows (a
spreadsheet shows data row ``n`` as row ``n + 2``).
"""

from __future__ import annotations

from layers._errors import LayerReadError, LayerWriteError
from layers.io._columns import CoordinateColumns, find_coordinates, shapefile_names
from layers.io.imports import import_file
from layers.io.readers import TABLE_SUFFIXES, VECTOR_SUFFIXES, read_file
from layers.io.shift import ShiftReport, looks_shifted
from layers.io.writers import WRITE_SUFFIXES, export_layer, write_file

__all__ = [
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "WRITE_SUFFIXES",
    "CoordinateColumns",
    "LayerReadError",
    "LayerWriteError",
    "ShiftReport",
    "export_layer",
    "find_coordinates",
    "import_file",
    "looks_shifted",
    "read_file",
    "shapefile_names",
    "write_file",
]
