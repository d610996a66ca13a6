"""The embedded demo: Beijing's 东城区 and 西城区 built from real public data.

``build_demo(raw_dir, out)`` builds the GeoPackage store from the raw files in ``data/raw``
(see ``data/README.md`` for sources and licences); ``ensure_demo()`` builds it when missing.
Every synthesized value is seeded and named in the row's ``estimated_fields``.
"""

from __future__ import annotations

from layers.demo._build import (
    DEFAULT_RAW_DIR,
    DEFAULT_STORE,
    DemoSummary,
    build_demo,
    ensure_demo,
)
from layers.demo._common import BEIJING_BOUNDS

__all__ = [
    "BEIJING_BOUNDS",
    "DEFAULT_RAW_DIR",
    "DEFAULT_STORE",
    "DemoSummary",
    "build_demo",
    "ensure_demo",
]
