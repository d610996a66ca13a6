"""Tables as JSON: the one place where analysis frames become response rows."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

__all__ = ["json_safe", "records"]


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as ``None``, numpy scalars as Python ones and
    datetimes as ISO 8601 text (dicts, lists and tuples converted throughout)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows of a table (a geometry column dropped; missing values → ``None``)."""
    plain = pd.DataFrame(frame.drop(columns=[c for c in ("geometry",) if c in frame.columns]))
    table = plain.astype(object).where(plain.notna(), None)
    return [json_safe(row) for row in table.to_dict(orient="records")]
