"""Layers as OGC API - Features collections, and the layer and store commands.

``ogc`` (links, paging, items), ``params`` (``bbox`` and the other query parameters),
``routes`` (``/collections``), ``cli`` (``mzgis layers``), ``cli_store`` (``mzgis store``).
"""
