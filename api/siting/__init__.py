"""Siting (设施选址): where new facilities should go (LSCP, MCLP, p-median, p-center).

``schemas`` (the request), ``service`` (inputs read through the catalog, candidates built,
the problem solved by :mod:`geo.siting`), ``output`` (the answer and the tables written by the
CLI), ``routes`` (``POST /analyses/siting``), ``map`` (``/maps/siting``), ``cli``
(``mzgis site``).
"""
