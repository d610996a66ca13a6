"""mzgis layers: what the data is.

Schemas of every layer kind, validation, import/export, coordinate systems and storage.
``layers`` imports neither ``geo`` nor ``api``.
"""

from __future__ import annotations

from layers._errors import (
    ConfirmationRequiredError,
    ConflictError,
    FeatureNotFoundError,
    ImportModeError,
    LayerError,
    LayerReadError,
    LayerValidationError,
    PreconditionFailedError,
    Problem,
    StoreError,
    UnknownLayerError,
)
from layers.schema import SCHEMAS, Field, LayerSchema, get_schema
from layers.store import GeoPackageStore, LayerInfo, Store, open_store
from layers.validate import ValidationReport, validate

__all__ = [
    "SCHEMAS",
    "ConfirmationRequiredError",
    "ConflictError",
    "FeatureNotFoundError",
    "Field",
    "GeoPackageStore",
    "ImportModeError",
    "LayerError",
    "LayerInfo",
    "LayerReadError",
    "LayerSchema",
    "LayerValidationError",
    "PreconditionFailedError",
    "Problem",
    "Store",
    "StoreError",
    "UnknownLayerError",
    "ValidationReport",
    "get_schema",
    "open_store",
    "validate",
]
