"""Errors raised by :mod:`layers`.

The hierarchy::

    LayerError                      any problem with layer data or storage
    ├── LayerValidationError        a frame or file breaks its schema (lists every problem)
    ├── UnknownLayerError           no layer of that name in the store, or no such kind
    ├── FeatureNotFoundError        no feature with that id in the layer
    ├── LayerReadError              a file cannot be read (format, columns, CRS)
    ├── LayerWriteError             a layer cannot be written to a file (format, geometry)
    └── StoreError                  the store cannot be opened or written
        ├── ConflictError           a write collides with stored data (409)
        │   ├── ImportModeError     an import into an existing layer without a mode
        │   └── ConfirmationRequiredError  a replace that would drop data, not confirmed
        └── PreconditionFailedError a write was based on a stale version (412)

Every error carries a bilingual message: English first, Chinese after " / ".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ConfirmationRequiredError",
    "ConflictError",
    "FeatureNotFoundError",
    "ImportModeError",
    "LayerError",
    "LayerReadError",
    "LayerValidationError",
    "LayerWriteError",
    "PreconditionFailedError",
    "Problem",
    "StoreError",
    "UnknownLayerError",
]

MAX_PROBLEMS_IN_MESSAGE = 50


class LayerError(Exception):
    """Base class of every error raised by :mod:`layers`."""


@dataclass(frozen=True)
class Problem:
    """One problem found in one row of a layer.

    ``row`` is the 0-based position in the input (``None`` for layer-wide problems);
    ``severity`` is ``"error"`` (import refused) or ``"warning"`` (repaired or flagged).
    An import from a table adds where people find the row: ``line`` (the row number a
    spreadsheet shows, the header being row 1), ``record_id`` (the row's id) and ``column``
    (the header in the file, when it differs from the field).
    """

    row: int | None
    field: str
    value: Any
    reason: str
    severity: str = "error"
    line: int | None = None
    record_id: str | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.value, np.ndarray):  # e.g. a list read by GDAL
            object.__setattr__(self, "value", self.value.tolist())
        elif isinstance(self.value, np.generic):
            object.__setattr__(self, "value", self.value.item())

    def __str__(self) -> str:
        field = repr(self.field)
        if self.column is not None and self.column != self.field:
            field = f"{field} (column {self.column!r})"
        if self.line is not None:
            ident = "" if self.record_id is None else f" (id {self.record_id!r})"
            where = f"row {self.line}{ident} / 第 {self.line} 行"
        else:
            where = "layer" if self.row is None else f"row {self.row}"
        return f"{where}, field {field}, value {self.value!r}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, int | float | str | None) else str(self.value)
        out = {
            "row": self.row,
            "field": self.field,
            "value": value,
            "reason": self.reason,
            "severity": self.severity,
        }
        extra = {"line": self.line, "record_id": self.record_id, "column": self.column}
        return out | {k: v for k, v in extra.items() if v is not None}


@dataclass
class LayerValidationError(LayerError):
    """A layer breaks its schema; ``problems`` lists every problem found, not only the first."""

    kind: str
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def message(self) -> str:
        errors = self.errors
        head = (
            f"layer {self.kind!r}: {len(errors)} problem(s), nothing was imported"
            f" / 图层 {self.kind!r} 有 {len(errors)} 处错误，未导入任何数据"
        )
        ordered = sorted(errors, key=lambda p: (-1 if p.row is None else p.row, p.field))
        lines = [f"  - {p}" for p in ordered[:MAX_PROBLEMS_IN_MESSAGE]]
        if len(errors) > MAX_PROBLEMS_IN_MESSAGE:
            lines.append(f"  ... and {len(errors) - MAX_PROBLEMS_IN_MESSAGE} more")
        return "\n".join([head, *lines])

    def __str__(self) -> str:
        return self.message


class UnknownLayerError(LayerError, KeyError):
    """No layer (or layer kind) of that name."""

    def __init__(self, name: str, known: list[str] | None = None) -> None:
        self.name = name
        hint = f"; known: {', '.join(sorted(known))}" if known else ""
        msg = f"unknown layer {name!r}{hint} / 没有名为 {name!r} 的图层"
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0])


class FeatureNotFoundError(LayerError, KeyError):
    """No feature with that id in the layer."""

    def __init__(self, layer: str, fid: object) -> None:
        msg = (
            f"layer {layer!r} has no feature with id {fid!r}"
            f" / 图层 {layer!r} 中没有编号为 {fid!r} 的要素"
        )
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0])


class LayerReadError(LayerError):
    """A file cannot be read as a layer."""


class LayerWriteError(LayerError):
    """A layer cannot be written to a file (unknown suffix, geometry the format cannot hold)."""


class StoreError(LayerError):
    """The store cannot be opened, read or written."""


class ConflictError(StoreError):
    """A write collides with data already stored (HTTP 409)."""


class PreconditionFailedError(StoreError):
    """A write was based on a stale version (HTTP 412)."""


class ImportModeError(ConflictError):
    """An import into an existing layer that does not say whether it appends, updates by
    id or replaces."""


class ConfirmationRequiredError(ConflictError):
    """A replace of an existing layer that was not confirmed; ``plan`` says what it would
    drop (a :class:`layers.merge.MergePlan`)."""

    def __init__(self, message: str, plan: Any) -> None:
        super().__init__(message)
        self.plan = plan
