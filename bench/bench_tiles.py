"""A province-scale layer on a web map: 100,000 community polygons drawn from vector tiles.

Builds a GeoPackage store of ``--size`` synthetic community polygons (the Voronoi cells of
``bench/bench_maps.py``, densified to ~20 m segments), serves it with the app (uvicorn on a
loopback port, ``MZGIS_TILED_MIN_FEATURES`` below the size so the layer is tiled) and loads
``/maps/layers`` in headless Chromium (Debian's, offline: non-local requests are blocked).
Prints the time from navigation to the first view (the page script ready and every visible
tile of the layer drawn; the first visit after start-up, which reads the layer into the
store's tile source, is printed too), to a pan of 400 px and to a zoom in, with the tiles'
bytes; then the anchor, today's page with ``--anchor-size`` polygons embedded as GeoJSON
(the largest layer the page drew whole), and the ratio anchor / tiles measured in this run.
``--pg URL`` also runs the tiled page on a PostGIS copy (tiles made by ``ST_AsMVT``).

    .venv/bin/python bench/bench_tiles.py            # 100,000 tiled vs 20,000 embedded
    .venv/bin/python bench/bench_tiles.py --smoke    # 2,000 vs 500, a few seconds
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from api.app import create_app
from api.config import Settings
from bench.bench_maps import synthetic_frames
from bench.offline_browser import CHROMIUM, CHROMIUM_ARGS, offline_route, serving
from layers.store import open_store

LAYER = "communities"
_LOADED = "t => { const s = mzgis.tileState().communities; return s && s.loadedMs > t; }"


def _store(path: str, n: int) -> str:
    communities, _ = synthetic_frames(n)
    store = open_store(path)
    try:
        store.import_frame(communities, name=LAYER, kind="communities")
    finally:
        store.close()
    return path


def _tile_bytes(page: Page) -> int:
    sizes = page.evaluate(
        """() => performance.getEntriesByType("resource")
            .filter(e => e.name.includes("/tiles/WebMercatorQuad/"))
            .map(e => e.encodedBodySize)"""
    )
    return int(sum(sizes))


def time_tiled(page: Page, url: str) -> dict[str, float]:
    """First view, pan and zoom of the tiled page (milliseconds), and the bytes of tiles."""
    page.goto(url)
    page.wait_for_function("() => window.mzgis && mzgis.ready", timeout=120_000)
    page.wait_for_function(_LOADED, arg=0, timeout=120_000)
    first = max(page.evaluate("() => mzgis.readyMs"), page.evaluate(
        "() => mzgis.tileState().communities.loadedMs"))  # fmt: skip
    out = {"first_ms": float(first), "tiles": page.evaluate(
        "() => mzgis.tileState().communities.tiles"), "first_bytes": _tile_bytes(page)}  # fmt: skip
    for name, move in (("pan_ms", "mzgis.map.panBy([400, 0], {animate: false})"),
                       ("zoom_ms", "mzgis.map.zoomIn(1, {animate: false})")):  # fmt: skip
        before = page.evaluate("() => mzgis.tileState().communities.loadedMs")
        start = page.evaluate(f"() => {{ const t = performance.now(); {move}; return t; }}")
        page.wait_for_function(_LOADED, arg=before, timeout=120_000)
        out[name] = page.evaluate("() => mzgis.tileState().communities.loadedMs") - start
    out["all_bytes"] = _tile_bytes(page)
    return out


def time_embedded(page: Page, url: str) -> float:
    """Milliseconds until today's page has drawn the whole layer."""
    page.goto(url)
    page.wait_for_function("() => window.mzgis && mzgis.ready", timeout=300_000)
    return float(page.evaluate("() => mzgis.readyMs"))


def run(n: int, anchor_n: int, *, pg_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        start = time.perf_counter()
        big = _store(f"{tmp}/tiled.gpkg", n)
        small = _store(f"{tmp}/embedded.gpkg", anchor_n)
        print(f"stores built in {time.perf_counter() - start:.1f} s")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        blocked: list[str] = []

        def new_page() -> Page:  # a fresh context: nothing in the browser's cache
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            page.route("**/*", offline_route(blocked))
            return page

        targets = [("GeoPackage", big)]
        if pg_url:
            from layers.store.copy import copy_store

            source, target = open_store(big), open_store(pg_url)
            try:
                copy_store(source, target)
            finally:
                source.close()
                target.close()
            targets.append(("PostGIS", pg_url))
        results = {}
        for label, location in targets:
            app = create_app(Settings(store=location, tiled_min_features=min(n, anchor_n) - 1))
            with serving(app) as base:
                cold = time_tiled(new_page(), f"{base}/maps/layers")
                r = results[label] = time_tiled(new_page(), f"{base}/maps/layers")
            print(
                f"tiles ({label}): {n:,} polygons, first view in {r['first_ms']:,.0f} ms "
                f"({cold['first_ms']:,.0f} ms on the first visit after start-up, which reads "
                f"the layer), {r['tiles']:.0f} tiles, {r['first_bytes'] / 1e6:.2f} MB; pan 400 px "
                f"in {r['pan_ms']:,.0f} ms, zoom in {r['zoom_ms']:,.0f} ms "
                f"({r['all_bytes'] / 1e6:.2f} MB of tiles in all)"
            )
        app = create_app(Settings(store=small, tiled_min_features=10**9))
        with serving(app) as base:
            time_embedded(new_page(), f"{base}/maps/layers")  # the page built and cached
            anchor_ms = time_embedded(new_page(), f"{base}/maps/layers")
        print(
            f"anchor (today's page, GeoJSON embedded): {anchor_n:,} polygons in {anchor_ms:,.0f} ms"
        )
        first = results["GeoPackage"]["first_ms"]
        print(f"ratio anchor / tiles (GeoPackage): {anchor_ms / first:.1f}x "
              f"for {n / anchor_n:.0f}x the polygons")  # fmt: skip
        browser.close()
        if blocked:
            raise SystemExit(f"requests that would leave the machine: {blocked}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="polygons drawn from tiles")
    parser.add_argument("--anchor-size", type=int, default=20_000, help="polygons embedded")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (2,000 vs 500)")
    parser.add_argument("--pg", default=None, help="also on this PostGIS store URL")
    args = parser.parse_args(argv)
    n, anchor_n = (2_000, 500) if args.smoke else (args.size, args.anchor_size)
    run(n, anchor_n, pg_url=args.pg)


if __name__ == "__main__":
    main()
