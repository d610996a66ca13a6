"""How fast a large layer shows on a web map: 10,000 community polygons and 10,000 points.

Builds a store of ``--size`` synthetic communities (Voronoi cells over central Beijing,
densified to ~20 m segments with sub-metre noise, as surveyed boundaries are) and as many
station points, serves it with the app (uvicorn on a loopback port), and loads
``/maps/layers`` in headless Chromium (Debian's, offline: non-local requests are blocked).
Prints the time from navigation to "map ready with N features drawn" (the page script's
flag, set after every layer is on its canvas), the server's build time, the page size, and
the same for the anchor: geopandas ``explore()`` of the same frames (folium's stock GeoJson
on SVG, its assets made local), with the ratio anchor / mzgis measured in this run.

    .venv/bin/python bench/bench_maps.py            # 10,000 + 10,000
    .venv/bin/python bench/bench_maps.py --smoke    # 200 + 200, a few seconds
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from fastapi.responses import HTMLResponse
from playwright.sync_api import Page, sync_playwright

from api.app import create_app
from api.config import Settings
from api.maps.assets import localize
from api.maps.routes import install_maps
from layers.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.offline_browser import CHROMIUM, CHROMIUM_ARGS, offline_route, serving

BBOX = (116.25, 39.80, 116.55, 40.02)
MEASURE_CRS = "EPSG:4548"  # CGCS2000 / 3-degree Gauss-Kruger CM 117E


def synthetic_frames(n: int, *, seed: int = 7) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``n`` community polygons tiling :data:`BBOX` and ``n`` station points, valid for the
    ``communities`` and ``stations`` schemas."""
    rng = np.random.default_rng(seed)
    box = gpd.GeoSeries([shapely.box(*BBOX)], crs=4326).to_crs(MEASURE_CRS).iloc[0]
    x0, y0, x1, y1 = box.bounds
    side = int(np.ceil(np.sqrt(n)))
    gx, gy = np.meshgrid(np.linspace(x0, x1, side + 2)[1:-1], np.linspace(y0, y1, side + 2)[1:-1])
    step = (x1 - x0) / (side + 1)
    seeds = np.column_stack([gx.ravel(), gy.ravel()])[:n] + rng.uniform(-0.3, 0.3, (n, 2)) * step
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    cells = shapely.intersection(cells, box)
    cells = shapely.segmentize(cells[shapely.area(cells) > 0][:n], 20.0)
    # sub-metre wiggles that depend on position only, so shared edges stay shared
    cells = shapely.transform(
        cells,
        lambda xy: xy + 0.6 * np.column_stack([np.sin(xy[:, 1] * 0.9), np.cos(xy[:, 0] * 0.9)]),
    )
    cells = shapely.make_valid(cells)
    cells = np.array([max(shapely.get_parts(c), key=shapely.area) for c in cells], dtype=object)
    k = len(cells)
    pop = rng.integers(500, 9000, k)
    communities = gpd.GeoDataFrame(
        {
            "code": [f"110101{(i // 1000) + 1:03d}{i % 1000:03d}" for i in range(k)],
            "name": [f"合成社区{i}" for i in range(k)],
            "street_code": [f"110101{(i // 1000) + 1:03d}" for i in range(k)],
            "population": pop,
            "elderly_60_plus": pop // 5,
            "elderly_80_plus": pop // 30,
            "basic_recipients": pop // 80,
            "households": pop // 2,
        },
        geometry=gpd.GeoSeries(cells, crs=MEASURE_CRS).to_crs(4326).to_numpy(),
        crs=4326,
    )
    xy = rng.uniform((BBOX[0], BBOX[1]), (BBOX[2], BBOX[3]), (n, 2))
    stations = gpd.GeoDataFrame(
        {
            "station_id": [f"S{i:05d}" for i in range(n)],
            "name": [f"合成驿站{i}" for i in range(n)],
            "capacity_persons": rng.integers(20, 300, n),
            "status": "运营",
        },
        geometry=shapely.points(xy),
        crs=4326,
    )
    return communities, stations


def time_mzgis(page: Page, url: str) -> tuple[float, int, dict[str, list[float]]]:
    """Milliseconds from navigation to the page script's ready flag, features drawn, and
    per layer the milliseconds spent parsing and building its features."""
    page.goto(url)
    page.wait_for_function("() => window.mzgis && mzgis.ready", timeout=120_000)
    counts = page.evaluate("() => mzgis.counts()")
    drawn = sum(v for k, v in counts.items() if not k.startswith("base-"))
    steps = page.evaluate("() => mzgis.buildTimes()")
    return float(page.evaluate("() => mzgis.readyMs")), drawn, steps


def time_anchor(page: Page, url: str, expected: int) -> tuple[float, int]:
    """Milliseconds until folium's SVG shows ``expected`` interactive paths."""
    page.goto(url)
    js = "n => document.querySelectorAll('path.leaflet-interactive').length >= n"
    page.wait_for_function(js, arg=expected, timeout=300_000, polling=100)
    drawn = page.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length")
    return float(page.evaluate("() => performance.now()")), int(drawn)


def anchor_html(communities: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> str:
    """geopandas ``explore()`` of both frames on one folium map, assets made local."""
    m = communities.explore(tiles=None)
    stations.explore(m=m)
    root = m.get_root()
    localize(root)
    return str(root.render())


def _fetch_s(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        size = len(response.read())
    return time.perf_counter() - start, size


def run(n: int, *, anchor: bool, repeat: int) -> None:
    communities, stations = synthetic_frames(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.gpkg"
        store = open_store(path)
        store.import_frame(communities, name="communities", kind="communities")
        store.import_frame(stations, name="stations", kind="stations")
        store.close()
        app = create_app(Settings(store=str(path)))
        install_maps(app)  # a no-op when the app installs the maps itself
        page_html = anchor_html(communities, stations) if anchor else ""
        app.add_api_route("/bench/anchor", lambda: HTMLResponse(page_html))
        with serving(app) as base, sync_playwright() as pw:
            build_s, size = _fetch_s(f"{base}/maps/layers")
            cached_s, _ = _fetch_s(f"{base}/maps/layers")
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            blocked: list[str] = []
            page.route("**/*", offline_route(blocked))
            runs = [time_mzgis(page, f"{base}/maps/layers") for _ in range(repeat)]
            ms = statistics.median(r[0] for r in runs)
            drawn = runs[0][1]
            print(f"features: {len(communities):,} community polygons + {n:,} station points")
            print(
                f"mzgis  server build {build_s:.2f} s (cached {cached_s * 1000:.0f} ms), "
                f"page {size / 1e6:.2f} MB"
            )
            print(
                f"mzgis  map ready with {drawn:,} features drawn in {ms:,.0f} ms "
                f"(median of {repeat} loads)"
            )
            steps = ", ".join(
                f"{name} parse {p:.0f} + build {b:.0f} ms" for name, (p, b) in runs[0][2].items()
            )
            print(f"mzgis  of which in the page script: {steps}")
            if anchor:
                expected = len(communities) + n
                a_ms, a_drawn = time_anchor(page, f"{base}/bench/anchor", expected)
                print(
                    f"anchor geopandas explore(): {a_drawn:,} features drawn in {a_ms:,.0f} ms, "
                    f"page {len(page_html) / 1e6:.2f} MB"
                )
                print(f"ratio anchor / mzgis: {a_ms / ms:.1f}x")
            browser.close()
            if blocked:
                raise SystemExit(f"requests that would leave the machine: {blocked}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="polygons and points each")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (200 + 200)")
    parser.add_argument("--no-anchor", action="store_true", help="skip geopandas explore()")
    parser.add_argument("--repeat", type=int, default=3, help="page loads to take the median of")
    args = parser.parse_args(argv)
    n = 200 if args.smoke else args.size
    run(n, anchor=not args.no_anchor, repeat=1 if args.smoke else args.repeat)


if __name__ == "__main__":
    main()
