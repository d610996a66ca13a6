"""The folium elements of mzgis pages: each renders a call into the page script
(``/static/mzgis/map.js``), which draws features on a canvas, builds popups on demand and
sets the ``mzgis.ready`` flag.

Every element links its scripts as local URLs; :func:`api.maps.assets.localize` turns what
folium's own elements link into local URLs too.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import MeasureControl
from folium.template import Template

from api.maps.assets import MZGIS_CSS, MZGIS_JS, vendor_url
from api.maps.display import script_safe

__all__ = [
    "FeatureLayer",
    "LabelLayer",
    "Measure",
    "PageFinish",
    "PageSetup",
    "fill_payloads",
]

_OWN_JS = [("mzgis_js", MZGIS_JS)]
_OWN_CSS = [("mzgis_css", MZGIS_CSS)]
#: the first element of a page also brings html-to-image, for the PNG export
_SETUP_JS = [*_OWN_JS, ("html_to_image_js", vendor_url("html-to-image", "html-to-image.js"))]
_CLUSTER_JS = [("markerclusterjs", vendor_url("leaflet.markercluster", "leaflet.markercluster.js"))]
_CLUSTER_CSS = [
    ("markerclustercss", vendor_url("leaflet.markercluster", "MarkerCluster.css")),
    ("markerclusterdefaultcss", vendor_url("leaflet.markercluster", "MarkerCluster.Default.css")),
]


def to_js(value: Any) -> str:
    """Compact JSON safe inside ``<script>``."""
    return script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


class _Payloads:
    """Text kept out of folium's templates: branca compiles every rendered script as a Jinja
    template again, which is slow for megabytes of GeoJSON and would misread data holding
    ``{{``. Templates render a token; :func:`fill_payloads` puts the text in afterwards."""

    payloads: dict[str, str]

    def payload(self, key: str, text: str) -> str:
        if not hasattr(self, "payloads"):
            self.payloads = {}
        token = f"__mzgis_payload_{self.get_name()}_{key}__"  # type: ignore[attr-defined]
        self.payloads[token] = text
        return token


def fill_payloads(html: str, root: Element) -> str:
    """``html`` with every payload token of the elements under ``root`` replaced by its text."""
    for element in _walk(root):
        for token, text in getattr(element, "payloads", {}).items():
            html = html.replace(token, text, 1)
    return html


def _walk(element: Element) -> list[Element]:
    out = [element]
    for child in element._children.values():
        out.extend(_walk(child))
    return out


def find_map(element: Element) -> folium.Map:
    """The map an element belongs to."""
    node: Element | None = element
    while node is not None and not isinstance(node, folium.Map):
        node = node._parent
    if node is None:
        msg = f"{element.get_name()} is not on a map"
        raise ValueError(msg)
    return node


class FeatureLayer(_Payloads, JSCSSMixin, Layer):
    """A layer of GeoJSON features drawn by the page script; built when first shown.

    The features travel in a ``<script type="application/json">`` block (parsed with
    ``JSON.parse`` only when the layer is first shown: much faster than a script literal).

    Parameters
    ----------
    data_js : str
        Features as script-safe text (:func:`api.maps.display.features_text`).
    spec : dict
        What the page script needs: ``name`` (unique on the page), ``label``, ``style``,
        ``category``, ``fields``, ``title``, ``interactive``, ``cluster``, ``pane``.
    name : str
        The label in the layer control (may hold HTML).
    overlay, control, show : bool
        As :class:`folium.map.Layer`.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
            <script type="application/json" id="{{ this.get_name() }}_data">
                {{- this.data_js -}}
            </script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = mzgis.featureLayer(
                "{{ this.get_name() }}_data", {{ this.spec_js }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data_js: str,
        spec: dict[str, Any],
        *,
        name: str,
        overlay: bool = True,
        control: bool = True,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "FeatureLayer"
        self.spec = {**spec, "show": show}
        self.data_js = self.payload("data", data_js)
        self.spec_js = self.payload("spec", to_js(self.spec))
        cluster = bool(spec.get("cluster"))
        self.default_js = [*_OWN_JS, *(_CLUSTER_JS if cluster else [])]
        self.default_css = [*_OWN_CSS, *(_CLUSTER_CSS if cluster else [])]


class LabelLayer(_Payloads, JSCSSMixin, Layer):
    """Text labels (``[lat, lon, text]``) of one class (``district``, ``street``, ``road``):
    the stylesheet shows each class from its own zoom level."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = mzgis.labelLayer({{ this.labels_js }}, {{ this.spec_js }});
        {% endmacro %}
        """
    )
    default_js = _OWN_JS
    default_css = _OWN_CSS

    def __init__(self, labels: list[tuple[float, float, str]], *, cls: str, name: str) -> None:
        super().__init__(name=name, overlay=True, control=False, show=True)
        self._name = "LabelLayer"
        self.labels_js = self.payload("labels", to_js([list(item) for item in labels]))
        self.spec_js = to_js({"name": f"labels-{cls}", "cls": cls})


class _MapCall(_Payloads, JSCSSMixin, MacroElement):
    """A call ``mzgis.<function>(map, options)`` in the page script."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            mzgis.{{ this.function }}({{ this.map_name }}, {{ this.options_js }});
        {% endmacro %}
        """
    )
    default_js = _OWN_JS
    default_css = _OWN_CSS
    function = ""

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__()
        self._name = type(self).__name__
        self.set_options(options)
        self.map_name = ""

    def set_options(self, options: dict[str, Any]) -> None:
        """Replace the options passed to the call."""
        self.options = options
        self.options_js = self.payload("options", to_js(options))

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        self.map_name = find_map(self).get_name()
        super().render(**kwargs)


class PageSetup(_MapCall):
    """``mzgis.init``: first view, panes, scale bar, label zoom classes; first on the map
    (setting the view before any layer is added spares projecting every feature twice)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <link rel="icon" href="data:,">
        {% endmacro %}
        {% macro script(this, kwargs) %}
            mzgis.{{ this.function }}({{ this.map_name }}, {{ this.options_js }});
        {% endmacro %}
        """
    )
    function = "init"
    default_js = _SETUP_JS


class PageFinish(_MapCall):
    """``mzgis.finish``: title, legend and the ready flag; last on the map."""

    function = "finish"


class Measure(MeasureControl):
    """folium's measuring control (metres, km², ha) with the same Leaflet ≥ 1.8 fix, minus the
    template comment that cites a web address."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = new L.Control.Measure(
                {{ this.options|tojavascript }});
            {{this._parent.get_name()}}.addControl({{this.get_name()}});
            L.Control.Measure.include({
                _setCaptureMarkerIcon: function () {
                    this._captureMarker.options.autoPanOnFocus = false;
                    this._captureMarker.setIcon(
                        L.divIcon({iconSize: this._map.getSize().multiplyBy(2)})
                    );
                },
            });
        {% endmacro %}
        """
    )
