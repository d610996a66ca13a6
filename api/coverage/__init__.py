"""Coverage (覆盖分析): who is within reach of a facility layer.

``schemas`` (request/response bodies, checked once at the edge), ``service`` (names checked
against the catalog, the run through :mod:`geo.coverage`, the HTTP answer), ``routes``
(``POST /analyses/coverage``), ``map`` (``/maps/coverage``), ``cli`` (``mzgis coverage``).

The path of ``POST /analyses/coverage``, in five hops:

1. ``routes.coverage_analysis``: FastAPI parses the body into ``schemas.CoverageRequest``
   (radii, tiers, one of the two) and hands over the catalog and the network source
   (:data:`api.deps.CatalogDep`, :data:`api.deps.NetworkDep`);
2. ``service.run_coverage``: the layers named are read through :meth:`api.catalog.Catalog.read`
   (an unknown name is a 422 naming the field), their columns checked;
3. :func:`geo.coverage.coverage` (and :func:`geo.coverage.two_step_fca`): distances in a
   projected CRS, tiers, roll-ups, on the walking network from the app's
   :class:`api.network.service.NetworkCache`;
4. ``layers.store``: the layers (and the saved network) are read from the store;
5. ``service.coverage_answer``: the result shaped into ``schemas.CoverageResponse``.
"""
