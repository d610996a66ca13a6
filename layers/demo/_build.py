"""Build the demo store: every layer validated and written into a temporary GeoPackage that
replaces the target only when complete."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np

from layers.demo import _boundaries, _divisions, _facilities, _inspections, _roads, _sources
from layers.demo._common import BEIJING_BOUNDS
from layers.store import open_store

__all__ = ["DEFAULT_RAW_DIR", "DEFAULT_STORE", "DemoSummary", "build_demo", "ensure_demo"]

DEFAULT_RAW_DIR = Path(__file__).resolve().parents[2] / "data" / "raw"
DEFAULT_STORE = DEFAULT_RAW_DIR.parent / "demo.gpkg"
#: the layers in build order, each with its own child seed (adding a layer at the end
#: leaves the others unchanged)
LAYERS = (
    "districts", "streets", "communities", "stations", "meal_points", "shelters",
    "cemeteries", "boundary_lines", "markers", "inspections", "roads",
)  # fmt: skip
LABELS = {
    "districts": "区县", "streets": "街道", "communities": "社区", "stations": "养老驿站",
    "meal_points": "助餐点", "shelters": "避难场所", "cemeteries": "公墓",
    "boundary_lines": "界线", "markers": "界桩", "inspections": "联检记录", "roads": "道路",
}  # fmt: skip


@dataclass(frozen=True)
class DemoSummary:
    """What a demo build produced."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    size_bytes: int = 0
    seed: int = 2023

    def __str__(self) -> str:
        layers = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return (
            f"demo store {self.path.name}: {layers}; built in {self.elapsed_s:.1f} s, "
            f"{self.size_bytes / 1e6:.1f} MB / 示例数据已生成"
        )


def _build_layers(raw_dir: Path, seed: int, emit: Callable[[str, gpd.GeoDataFrame], None]) -> None:
    """Build every layer in order, handing each to ``emit`` as soon as it is ready."""
    children = np.random.SeedSequence(seed).spawn(len(LAYERS))
    rngs = {kind: np.random.default_rng(s) for kind, s in zip(LAYERS, children, strict=True)}
    polygons, others = _sources.read_street_polygons(raw_dir)

    def done(kind: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        emit(kind, frame)
        return frame

    districts = done("districts", _divisions.build_districts(polygons))
    streets = done("streets", _divisions.build_streets(polygons, rng=rngs["streets"]))
    codes = _sources.read_community_codes(raw_dir)
    communities = done(
        "communities", _divisions.build_communities(streets, codes, rng=rngs["communities"])
    )
    done("stations", _facilities.build_stations(communities, streets, rng=rngs["stations"]))
    done(
        "meal_points",
        _facilities.build_meal_points(communities, streets, rng=rngs["meal_points"]),
    )
    shelters = _sources.read_shelters(raw_dir)
    done("shelters", _facilities.build_shelters(shelters, districts, rng=rngs["shelters"]))
    done("cemeteries", _facilities.build_cemeteries(districts, rng=rngs["cemeteries"]))
    district_codes = _sources.read_district_codes(raw_dir)
    lines = done(
        "boundary_lines", _boundaries.build_boundary_lines(districts, others, district_codes)
    )
    markers = done("markers", _boundaries.build_markers(lines, rng=rngs["markers"]))
    done("inspections", _inspections.build_inspections(markers, rng=rngs["inspections"]))
    nodes, edges = _sources.read_network(raw_dir)
    done("roads", _roads.build_roads(nodes, edges, districts))


def build_demo(
    raw_dir: Path = DEFAULT_RAW_DIR,
    out: Path = DEFAULT_STORE,
    *,
    seed: int = 2023,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Build the Beijing 东城区 + 西城区 demo store from the raw public files.

    Real data (street polygons, division codes, shelter points, the walking graph) is kept
    as published; whatever is synthesized is drawn from a generator seeded by ``seed`` and
    named in each row's ``estimated_fields``. The same seed gives the same store contents.

    Parameters
    ----------
    raw_dir
        The folder of raw files (``data/raw`` of the repository by default).
    out
        The GeoPackage to write. It is built next to ``out`` under a temporary name and moved
        over ``out`` only when complete, so a half-built demo never exists at ``out``.
    seed
        Seed of the generator of every estimated value.
    progress
        Called with a short message per layer; nothing is printed without it.

    Returns
    -------
    DemoSummary
        Feature counts per layer, elapsed seconds and file size.

    Raises
    ------
    LayerReadError
        A raw file is missing or does not join as documented.
    LayerValidationError
        A built layer breaks its schema (a bug in the builder).
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.building.gpkg")
    counts: dict[str, int] = {}
    try:
        store = open_store(tmp)

        def emit(kind: str, frame: gpd.GeoDataFrame) -> None:
            store.import_frame(frame, name=kind, kind=kind, region=BEIJING_BOUNDS)
            counts[kind] = len(frame)
            say(f"{kind}: {len(frame)} / {LABELS[kind]} {len(frame)} 条")

        try:
            _build_layers(Path(raw_dir), seed, emit)
        finally:
            store.close()
        _remove(out, sidecars_only=True)  # a stale WAL must not replay onto the new file
        tmp.replace(out)
    finally:
        _remove(tmp)
    elapsed = time.perf_counter() - started
    summary = DemoSummary(out, counts, elapsed, out.stat().st_size, seed)
    say(str(summary))
    return summary


def _remove(path: Path, *, sidecars_only: bool = False) -> None:
    for suffix in (
        ("-wal", "-shm", "-journal") if sidecars_only else ("", "-wal", "-shm", "-journal")
    ):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def ensure_demo(path: Path = DEFAULT_STORE) -> Path:
    """Return ``path``, building the demo store there first when it does not exist."""
    path = Path(path)
    if not path.exists():
        build_demo(DEFAULT_RAW_DIR, path)
    return path
