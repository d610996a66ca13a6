"""Browser assets of the web maps and pages, served by the app itself so they work offline.

Leaflet and its plugins (and Swagger UI and ReDoc for the API documentation) come from
pinned npm packages (``package.json`` and ``package-lock.json`` at the repository root,
installed by ``npm ci``); the app serves them
under ``/static/vendor/<package>/`` and its own script and style under ``/static/mzgis/``.
:func:`localize` rewrites every CDN link that folium emits to those local URLs, in one place;
:func:`external_urls` finds whatever in a rendered page would still load from elsewhere.
:func:`inline` puts the vendored files inside a map itself, for notebooks and saved HTML
files that no server stands behind.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from branca.element import Element, Figure
from folium.elements import JSCSSMixin
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

__all__ = [
    "MZGIS_CSS",
    "MZGIS_JS",
    "VENDOR_PACKAGES",
    "MissingAssetsError",
    "UnknownAssetError",
    "check_assets",
    "default_vendor_dir",
    "external_urls",
    "inline",
    "localize",
    "mount_assets",
    "vendor_url",
]

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_URL = "/static"
VENDOR_URL = f"{STATIC_URL}/vendor"
MZGIS_JS = f"{STATIC_URL}/mzgis/map.js"
MZGIS_CSS = f"{STATIC_URL}/mzgis/map.css"


@dataclass(frozen=True)
class VendorPackage:
    """One npm package whose folder ``subdir`` is served under ``/static/vendor/<name>/``."""

    name: str
    version: str
    subdir: str
    files: tuple[str, ...]


#: the pinned packages (versions as in package.json) and the files the pages load
VENDOR_PACKAGES: dict[str, VendorPackage] = {
    p.name: p
    for p in (
        VendorPackage("leaflet", "1.9.4", "dist", ("leaflet.js", "leaflet.css")),
        VendorPackage(
            "leaflet.markercluster",
            "1.5.3",
            "dist",
            ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
        ),
        VendorPackage(
            "leaflet.fullscreen", "3.0.2", ".", ("Control.FullScreen.js", "Control.FullScreen.css")
        ),
        VendorPackage("echarts", "6.1.0", "dist", ("echarts.min.js",)),
        VendorPackage("html-to-image", "1.11.13", "dist", ("html-to-image.js",)),
        VendorPackage(
            "leaflet.vectorgrid", "1.3.0", "dist", ("Leaflet.VectorGrid.bundled.min.js",)
        ),
        VendorPackage(
            "leaflet-measure",
            "3.1.0",
            "dist",
            ("leaflet-measure.cn.js", "leaflet-measure.en.js", "leaflet-measure.css"),
        ),
        # the API documentation pages (/docs, /redoc: api/web/docs.py)
        VendorPackage("swagger-ui-dist", "5.36.0", ".", ("swagger-ui-bundle.js", "swagger-ui.css")),
        VendorPackage("redoc", "2.5.4", "bundles", ("redoc.standalone.js",)),
    )
}

#: folium's link names -> (package, file); ``{lang}`` is filled per page
_LOCAL_FILES: dict[str, tuple[str, str]] = {
    "leaflet": ("leaflet", "leaflet.js"),
    "leaflet_css": ("leaflet", "leaflet.css"),
    "markerclusterjs": ("leaflet.markercluster", "leaflet.markercluster.js"),
    "markerclustercss": ("leaflet.markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": ("leaflet.markercluster", "MarkerCluster.Default.css"),
    "Control.Fullscreen.js": ("leaflet.fullscreen", "Control.FullScreen.js"),
    "Control.FullScreen.css": ("leaflet.fullscreen", "Control.FullScreen.css"),
    "leaflet_measure_js": ("leaflet-measure", "leaflet-measure.{lang}.js"),
    "leaflet_measure_css": ("leaflet-measure", "leaflet-measure.css"),
}
#: what folium links by default that the pages never use (jQuery, Bootstrap, icon fonts)
_DROPPED = frozenset(
    {
        "jquery",
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
    }
)
_MEASURE_LANG = {"zh": "cn", "en": "en"}


class MissingAssetsError(RuntimeError):
    """The vendored browser assets are not installed."""


class UnknownAssetError(ValueError):
    """A map element links a remote asset that has no local copy."""


def default_vendor_dir() -> Path:
    """``node_modules`` at the repository root, where ``npm ci`` installs the assets."""
    return Path(__file__).resolve().parents[2] / "node_modules"


def check_assets(vendor_dir: Path) -> None:
    """Raise :class:`MissingAssetsError` naming every missing file and the command that
    installs them."""
    missing = [
        f"{p.name}@{p.version}/{p.subdir}/{f}".replace("/./", "/")
        for p in VENDOR_PACKAGES.values()
        for f in p.files
        if not (vendor_dir / p.name / p.subdir / f).is_file()
    ]
    if missing:
        msg = (
            f"map assets are missing in {vendor_dir} ({', '.join(missing)}): run `npm ci` "
            "at the repository root (bash scripts/install.sh does it) / "
            f"地图前端资源缺失（{len(missing)} 个文件），请在仓库根目录运行 `npm ci`"
        )
        raise MissingAssetsError(msg)


def mount_assets(app: Starlette, *, vendor_dir: Path | None = None) -> None:
    """Serve the vendored packages under ``/static/vendor/<package>/`` and the app's own
    files under ``/static/``; raise :class:`MissingAssetsError` when assets are missing."""
    root = vendor_dir or default_vendor_dir()
    check_assets(root)
    for p in VENDOR_PACKAGES.values():
        directory = (root / p.name / p.subdir).resolve()
        app.mount(f"{VENDOR_URL}/{p.name}", StaticFiles(directory=directory), name=p.name)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")


def vendor_url(package: str, file: str) -> str:
    """The local URL of one vendored file."""
    if package not in VENDOR_PACKAGES:
        msg = f"unknown vendored package {package!r}"
        raise UnknownAssetError(msg)
    return f"{VENDOR_URL}/{package}/{file}"


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _local_links(links: Iterable[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if url.startswith("/"):
            out.append((name, url))
        elif name in _LOCAL_FILES:
            package, file = _LOCAL_FILES[name]
            out.append((name, vendor_url(package, file.format(lang=_MEASURE_LANG[lang]))))
        elif name not in _DROPPED:
            msg = f"no local copy of the map asset {name!r} ({url}); add it to api/maps/assets.py"
            raise UnknownAssetError(msg)
    return out


def localize(root: Element, *, lang: str = "zh") -> None:
    """Point every JS/CSS link of the elements under ``root`` to the app's local copies,
    dropping the ones the pages never use; :class:`UnknownAssetError` for any other link.

    Links are set on the instances, so folium's class defaults stay as they are.
    """
    for element in _walk(root):
        if isinstance(element, JSCSSMixin):
            element.default_js = _local_links(element.default_js, lang)
            element.default_css = _local_links(element.default_css, lang)


def inline(m: Element, *, lang: str = "zh", vendor_dir: Path | None = None) -> Element:
    """Make a folium map self-contained: its Leaflet scripts and styles are copied into the
    page from the vendored files (no CDN, no server), so it draws offline in a notebook or
    a saved HTML file. Returns ``m``."""
    root = vendor_dir or default_vendor_dir()
    check_assets(root)
    figure = m.get_root()
    if not isinstance(figure, Figure):
        msg = "the map is not inside a page (folium.Figure) / 地图不在页面中"
        raise TypeError(msg)
    _static_legends(figure)
    localize(figure, lang=lang)
    seen: set[str] = set()
    for element in _walk(figure):
        if not isinstance(element, JSCSSMixin):
            continue
        for links, tag in ((element.default_css, "style"), (element.default_js, "script")):
            for name, url in links:
                if url not in seen:
                    seen.add(url)
                    text = _vendored_text(root, url).replace(f"</{tag}", f"<\\/{tag}")
                    figure.header.add_child(Element(f"<{tag}>{text}</{tag}>"), name=name)
        element.default_js, element.default_css = [], []
    return m


def _static_legends(figure: Figure) -> None:
    """branca's colour scales draw their legend with d3 from a CDN: replace each with the
    same scale as a static SVG in a corner of the page."""
    from branca.colormap import ColorMap

    for element in list(_walk(figure)):
        if isinstance(element, ColorMap) and element._parent is not None:
            del element._parent._children[element.get_name()]
            caption = html.escape(element.caption or "")
            box = (
                '<div style="position:fixed;bottom:16px;right:8px;z-index:1000;'
                'background:#fff;padding:4px 6px;font:12px sans-serif;border-radius:4px">'
                f"{caption}<br>{element._repr_html_()}</div>"
            )
            figure.html.add_child(Element(box))


def _vendored_text(root: Path, url: str) -> str:
    package, file = url.removeprefix(f"{VENDOR_URL}/").split("/", 1)
    return (root / package / VENDOR_PACKAGES[package].subdir / file).read_text(encoding="utf-8")


_URL = re.compile(
    r"https?://[^\s\"'<>)\\]+"  # absolute
    r"|(?<![:\w/])//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}[/:][^\s\"'<>)\\]*",  # //host/
    re.IGNORECASE,
)
_ANCHOR = re.compile(r"<a\s[^>]*href=\\?[\"']\s*$", re.IGNORECASE)


def external_urls(html: str, *, allowed: Iterable[str] = ()) -> list[str]:
    """Every absolute URL in ``html`` except links of ``<a href>`` (attribution text, from
    which nothing loads) and URLs starting with one of ``allowed`` (an intranet tile server).
    """
    prefixes = tuple(a for a in allowed if a)
    found = []
    for match in _URL.finditer(html):
        url = match.group(0)
        before = html[max(0, match.start() - 200) : match.start()]
        if _ANCHOR.search(before) or (prefixes and url.startswith(prefixes)):
            continue
        found.append(url)
    return found
