"""Boundary inspection (界线联检): campaigns, marker inspections, segment checks, photos,
reviews, progress and the campaign report.

``schemas`` (bodies), ``service`` (the register of lines and markers, record checks),
``deps`` (the record store and role checks as dependencies), ``routes`` (``/inspections``),
``campaigns`` and ``photos`` (their sub-routes), ``report`` and ``report_html`` (the
campaign report), ``seed`` (the demo's records), ``map`` (``/maps/inspection``), ``cli``
(``mzgis inspection``).
"""
