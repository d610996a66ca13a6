"""Import and export of layers: files in, validated layers into a store, files out.

- :func:`read_file`: GeoPackage, GeoJSON, Shapefile, CSV (UTF-8 or GBK) and XLSX, with
  point columns named or detected, and GCJ-02/BD-09 converted to WGS84 when declared.
- :func:`import_file`: read, validate and store, all or nothing; warns when points declared
  as WGS84 look like GCJ-02 (:func:`looks_shifted`).
- :func:`write_file`: data exchange, the format chosen by file suffix; :func:`export_layer`:
  a stored layer for people (a workbook with Chinese headers) or GIS (GeoPackage with
  field aliases), in WGS84, GCJ-02 or BD-09.
- :mod:`layers.io.sheets`: the one XLSX/CSV writer of every export and report.
- :mod:`layers.io.headers`: the alias table of Chinese headers.

Row numbers in every message and :class:`~layers.Problem` are 0-based data rows (a
spreadsheet shows data row ``n`` as row ``n + 2``).
"""

from __future__ import annotations

from layers._errors import LayerReadError, LayerWriteError
from layers.io._columns import CoordinateColumns, find_coordinates, shapefile_names
from layers.io.exports import EXPORT_CRS, export_layer, layer_sheet
from layers.io.headers import alias_table, map_headers
from layers.io.imports import ImportReport, import_file
from layers.io.readers import TABLE_SUFFIXES, VECTOR_SUFFIXES, read_file
from layers.io.sheets import Column, Sheet, neutralise, summary_sheet, write_csv, write_workbook
from layers.io.shift import ShiftReport, looks_shifted
from layers.io.writers import WRITE_SUFFIXES, write_file

__all__ = [
    "EXPORT_CRS",
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "WRITE_SUFFIXES",
    "Column",
    "CoordinateColumns",
    "ImportReport",
    "LayerReadError",
    "LayerWriteError",
    "Sheet",
    "ShiftReport",
    "alias_table",
    "export_layer",
    "find_coordinates",
    "import_file",
    "layer_sheet",
    "looks_shifted",
    "map_headers",
    "neutralise",
    "read_file",
    "shapefile_names",
    "summary_sheet",
    "write_csv",
    "write_file",
    "write_workbook",
]
