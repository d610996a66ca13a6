"""Walking networks of a store: built from its ``roads`` layer, saved beside a GeoPackage
or inside a server store (``service``), and ``mzgis network`` (``cli``)."""
