"""Walking networks of a store: built from its ``roads`` layer or any source, saved beside a
GeoPackage or inside a server store (``service``); how far they can be trusted
(``quality``: the report of a store, the detour check of a coverage run); ``GET
/analyses/network/quality`` (``routes``, ``schemas``), ``/maps/network`` (``map``) and
``mzgis network build|info|check`` (``cli``)."""
