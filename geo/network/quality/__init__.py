"""Network quality: what in a walking network a planner should not trust blindly.

:func:`check_network` runs every check and returns a :class:`NetworkQuality` with one
finding per row (kind, severity, location, explanation in English and Chinese),
``to_gdf()`` and ``explore()``. The checks: parts of the network left out or cut off by
filtered or one-way roads, clusters of dead ends, suspected missing links (nodes close in
straight line but far on the network), chords (long straight edges without shape), and
detour outliers of demand units (walks many times the straight line at short range).
"""

from __future__ import annotations

from geo.network.quality._findings import KINDS, SEVERITIES
from geo.network.quality.detours import (
    detour_outliers,
    detour_ratios,
    detour_stats,
    suspect_detours,
)
from geo.network.quality.report import NetworkQuality, QualityOptions, check_network
from geo.network.quality.structure import (
    chords,
    components,
    dead_end_clusters,
    dead_ends,
    dropped_parts,
    missing_links,
)

__all__ = [
    "KINDS",
    "SEVERITIES",
    "NetworkQuality",
    "QualityOptions",
    "check_network",
    "chords",
    "components",
    "dead_end_clusters",
    "dead_ends",
    "detour_outliers",
    "detour_ratios",
    "detour_stats",
    "dropped_parts",
    "missing_links",
    "suspect_detours",
]
