"""Every notebook in ``notebooks/`` runs top to bottom without error (offline), with its
parameter cell pointed at a temporary exports folder: its charts are in the outputs and in
that folder, no HiGHS banner reaches the outputs, and the executed notebook's HTML opens in
Chromium with every outside request blocked, its maps drawn from local Leaflet copies."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
from nbclient import NotebookClient

from bench.offline_browser import CHROMIUM, CHROMIUM_ARGS, offline_route

if TYPE_CHECKING:
    from playwright.sync_api import Playwright

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: what the notebooks' ``ensure_demo()`` may leave in the repository's data folder
DEMO_FILES = ("demo.gpkg*", "demo.network.npz")
#: charts each notebook draws (PNG outputs, also saved to the exports folder)
CHARTS = {
    "01_coverage.ipynb": {"covered_share_by_street.png", "distance_walking_vs_straight.png"},
    "02_siting.ipynb": {"siting_gain_curve.png"},
    "03_zones.ipynb": {"zone_workload_vs_band.png"},
    "04_inspection.ipynb": set(),
    "05_communities.ipynb": set(),
}
MAPS = {
    "01_coverage.ipynb": 1,
    "02_siting.ipynb": 1,
    "03_zones.ipynb": 1,
    "05_communities.ipynb": 1,
}
CDN = re.compile(r"cdn\.jsdelivr|code\.jquery|bootstrapcdn|cdnjs\.cloudflare|unpkg\.com")


def _demo_files() -> set[Path]:
    return {p for pattern in DEMO_FILES for p in (ROOT / "data").glob(pattern)}


@pytest.fixture(scope="module", autouse=True)
def _remove_what_the_notebooks_built() -> Iterator[None]:
    """The notebooks open the demo store where planners find it (``data/demo.gpkg``): when
    the test run built it, remove it afterwards."""
    before = _demo_files()
    yield
    for path in _demo_files() - before:
        path.unlink(missing_ok=True)


def _executed(path: Path, exports: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    (params,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert "STORE = None" in params.source and "EXPORTS" in params.source
    params.source = f"STORE = None\nEXPORTS = {str(exports)!r}"
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def _outputs(notebook: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _page(notebook: nbformat.NotebookNode) -> str:
    """The executed notebook as one HTML page: its HTML outputs, charts and text."""
    parts = []
    for output in _outputs(notebook):
        data = output.get("data", {})
        if "text/html" in data:
            parts.append(data["text/html"])
        elif "image/png" in data:
            parts.append(f'<img class="chart" src="data:image/png;base64,{data["image/png"]}">')
        elif output.get("output_type") == "stream":
            parts.append(f"<pre>{html.escape(output.get('text', ''))}</pre>")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )


def _open_offline(pw: Playwright, page_html: str, maps: int) -> tuple[list[str], list[int]]:
    """Open the page in Chromium with outside requests blocked: the blocked URLs, and the
    number of drawn shapes of each map frame."""
    blocked: list[str] = []
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context()
        context.route("**/*", offline_route(blocked))
        page = context.new_page()
        page.set_content(page_html, wait_until="load")
        page.wait_for_timeout(1500)
        frames = [f for f in page.frames if f != page.main_frame]
        drawn = [
            f.evaluate(
                "() => document.querySelector('.leaflet-container') ?"
                " document.querySelectorAll('.leaflet-interactive').length : -1"
            )
            for f in frames
        ]
    finally:
        browser.close()
    assert len([d for d in drawn if d >= 0]) >= maps, drawn
    return blocked, drawn


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_with_charts_and_offline_maps(
    path: Path, tmp_path: Path, playwright_driver: Playwright
) -> None:
    exports = tmp_path / "exports"
    notebook = _executed(path, exports)
    outputs = _outputs(notebook)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    texts = [o.get("text", "") for o in outputs] + [
        str(o.get("data", {}).get("text/plain", "")) for o in outputs
    ]
    assert not [t for t in texts if "Running HiGHS" in t or "Copyright (c)" in t]
    charts = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(charts) == len(CHARTS[path.name])
    for chart in charts:
        assert base64.b64decode(chart["data"]["image/png"]).startswith(b"\x89PNG")
    kept = {p.name for p in exports.iterdir()}
    assert CHARTS[path.name] <= kept and len(kept) >= 2  # exports stay where the planner keeps them
    page_html = _page(notebook)
    assert not CDN.search(page_html)
    blocked, drawn = _open_offline(playwright_driver, page_html, MAPS.get(path.name, 0))
    assert blocked == []
    assert all(d > 0 for d in drawn if d >= 0)
