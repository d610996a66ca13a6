"""Map assets: pinned npm packages served locally, folium's CDN links rewritten, and a scan
for anything that would still load from elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import folium
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from folium.plugins import Draw, Fullscreen, MarkerCluster, MeasureControl

from api.maps.assets import (
    VENDOR_PACKAGES,
    MissingAssetsError,
    UnknownAssetError,
    check_assets,
    default_vendor_dir,
    external_urls,
    localize,
    mount_assets,
)

ROOT = Path(__file__).resolve().parents[3]


def test_vendored_versions_are_the_pinned_ones() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name, package in VENDOR_PACKAGES.items():
        assert pinned[name] == package.version
        assert lock[f"node_modules/{name}"]["version"] == package.version
        installed = json.loads((default_vendor_dir() / name / "package.json").read_text())
        assert installed["version"] == package.version


def test_missing_assets_fail_with_the_command_to_run(tmp_path: Path) -> None:
    check_assets(default_vendor_dir())
    with pytest.raises(MissingAssetsError, match="npm ci") as info:
        check_assets(tmp_path)
    assert "leaflet@1.9.4/dist/leaflet.js" in str(info.value)
    with pytest.raises(MissingAssetsError):
        mount_assets(FastAPI(), vendor_dir=tmp_path)


def test_assets_are_served_by_the_app() -> None:
    app = FastAPI()
    mount_assets(app)
    client = TestClient(app)
    leaflet = client.get("/static/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200 and "Leaflet 1.9.4" in leaflet.text
    assert client.get("/static/vendor/leaflet/images/layers.png").status_code == 200
    assert client.get("/static/vendor/leaflet-measure/leaflet-measure.cn.js").status_code == 200
    assert "mzgis.featureLayer" in client.get("/static/mzgis/map.js").text
    assert client.get("/static/vendor/leaflet/../../../../pyproject.toml").status_code == 404


def test_localize_rewrites_every_cdn_link_of_folium_and_its_plugins() -> None:
    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    Fullscreen().add_to(m)
    MeasureControl().add_to(m)
    before = m.get_root().render()
    assert "cdn.jsdelivr.net" in before and "jquery" in before
    fresh = folium.Map(tiles=None)
    MarkerCluster().add_to(fresh)
    Fullscreen().add_to(fresh)
    MeasureControl().add_to(fresh)
    localize(fresh.get_root(), lang="en")
    html = fresh.get_root().render()
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css" in html
    assert "/static/vendor/leaflet-measure/leaflet-measure.en.js" in html
    assert "jquery" not in html and "bootstrap" not in html
    assert not [u for u in external_urls(html) if "leaflet-measure/issues" not in u]
    # folium's class defaults are untouched
    assert folium.Map.default_js[0][1].startswith("https://")


def test_localize_refuses_an_asset_without_a_local_copy() -> None:
    m = folium.Map(tiles=None)
    Draw().add_to(m)
    with pytest.raises(UnknownAssetError, match="leaflet_draw"):
        localize(m.get_root())


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<script src="https://cdn.example.com/leaflet.js"></script>', 1),
        ("<link href='//fonts.googleapis.com/css?family=x' rel=stylesheet>", 1),
        ("<style>.a{background:url(http://tiles.example.org/a.png)}</style>", 1),
        ('<script src="/static/vendor/leaflet/leaflet.js"></script>', 0),
        ('attribution: "<a href=\\"https://www.openstreetmap.org/copyright\\">OSM</a>"', 0),
        ('L.tileLayer("http://10.1.2.3/tiles/{z}/{x}/{y}.png")', 1),
    ],
)
def test_external_urls(html: str, found: int) -> None:
    assert len(external_urls(html)) == found


def test_external_urls_allows_the_configured_tile_server() -> None:
    html = 'L.tileLayer("http://gis.local/tiles/{z}/{x}/{y}.png")'
    assert external_urls(html) == ["http://gis.local/tiles/{z}/{x}/{y}.png"]
    assert external_urls(html, allowed=["http://gis.local/tiles/"]) == []
