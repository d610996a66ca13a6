"""The print view of the map pages in Chromium, offline: each renders to PDF (A4 and A3
landscape) holding its title, legend, north arrow, the date in 北京时间 and the data notice,
without the controls people click; and the map exports itself as a PNG image."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.browser.mapcheck import MapTab, check_map_page, output_dir
from tests.browser.pdftext import pdf_pages, pdf_text, plain

pytestmark = pytest.mark.browser

PAGES = {
    "layers": ("/maps/layers", "民政设施与区划图层"),
    "coverage": ("/maps/coverage?mode=euclidean&tiers=500,1000", "养老驿站覆盖分析"),
    "zones": ("/maps/zones", "责任片区"),
    "siting": ("/maps/siting", "设施选址"),
    "network": ("/maps/network", "步行路网"),
    "communities": ("/maps/communities", "社区规模"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_map_prints(map_server: str, map_tab: MapTab, name: str) -> None:
    path, _ = PAGES[name]
    check_map_page(map_tab, f"{map_server}{path}", timeout_ms=90_000)
    page = map_tab.page
    title = page.locator(".mzgis-title").inner_text().split("\n")[0].strip()
    assert title.startswith(PAGES[name][1]), title
    page.emulate_media(media="print")
    for paper in ("A4", "A3"):
        pdf = page.pdf(format=paper, landscape=True, print_background=True)
        (output_dir() / f"map-{name}-{paper}.pdf").write_bytes(pdf)
        text = pdf_text(pdf)
        for words in (title, "图例", "生成时间(北京时间)", "数据说明", "估算值", "北"):
            assert plain(words) in text, (paper, words)
        assert pdf_pages(pdf) == 1  # one sheet
    # the controls are not printed
    assert page.locator(".leaflet-control-layers").is_hidden()
    assert page.locator(".mzgis-export").is_hidden()
    map_tab.assert_clean()


def test_map_exports_a_png(map_server: str, map_tab: MapTab) -> None:
    check_map_page(map_tab, f"{map_server}/maps/layers")
    page = map_tab.page
    with page.expect_download(timeout=60_000) as download:
        page.click(".mzgis-export a")
    data = Path(download.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    box = page.locator(".folium-map").bounding_box()
    assert box is not None and (width, height) == (round(box["width"]), round(box["height"]))
    assert download.value.suggested_filename.endswith(".png")
    (output_dir() / "map-layers-export.png").write_bytes(data)
    map_tab.assert_clean()


_BOXES_JS = """() => {
  const sel = ['.mzgis-title', '.mzgis-legend', '.leaflet-control-layers', '.mzgis-panel',
               '.leaflet-control-zoom', '.mzgis-north', '.mzgis-export', '.leaflet-control-scale'];
  const out = [];
  for (const s of sel) for (const el of document.querySelectorAll(s)) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) out.push([s, r.left, r.top, r.right, r.bottom]);
  }
  return out;
}"""


@pytest.mark.parametrize("viewport", [(1366, 768), (390, 844)])
@pytest.mark.parametrize("name", ["layers", "coverage"])
def test_no_control_covers_the_title_or_legend(
    map_server: str, browser_context: object, name: str, viewport: tuple[int, int]
) -> None:
    page = browser_context.new_page()  # type: ignore[attr-defined]
    try:
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        page.goto(f"{map_server}{PAGES[name][0]}")
        page.wait_for_function("() => window.mzgis && mzgis.ready", timeout=90_000)
        page.screenshot(path=str(output_dir() / f"map-{name}-{viewport[0]}x{viewport[1]}.png"))
        boxes = page.evaluate(_BOXES_JS)
        clashes = [
            (a[0], b[0])
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if a[1] < b[3] - 1 and b[1] < a[3] - 1 and a[2] < b[4] - 1 and b[2] < a[4] - 1
        ]
        assert clashes == [], clashes
        assert {b[0] for b in boxes} >= {".mzgis-title", ".mzgis-legend"}
    finally:
        page.close()
