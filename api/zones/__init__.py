"""Responsibility zones (责任片区): every community to one station, within its band.

``schemas`` (requests), ``service`` (problems built from the catalog's layers, solved and
validated by :mod:`geo.zones`), ``plans`` (versioned plans in the record store),
``distributed`` (the solve partitioned by district on Dask), ``routes``
(``/analyses/zones``), ``map`` (``/maps/zones``), ``output`` (what the commands print and
write), ``cli`` (``mzgis zones``) and ``cli_plans`` (``mzgis zones plans|show|export``).
"""
