"""Layers as OGC API - Features collections, and the layer and store commands.

``ogc`` (links, paging, items), ``params`` (``bbox`` and the other query parameters),
``schemas`` (the GeoJSON features a write sends), ``service`` (Part 4 writes: create,
replace, update, delete one feature as a new layer version, with ETags and the audit log),
``routes`` (``/collections``), ``cli`` (``mzgis layers``), ``cli_store`` (``mzgis store``).

A write travels route (parse, check the layer is editable, authorise a planner or admin)
→ :class:`api.layers.service.FeatureEditor` (ETag, validation by the layer schema)
→ :meth:`layers.store.Store.write` (with the version read) → the record store's audit log.
"""
