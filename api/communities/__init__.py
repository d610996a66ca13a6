"""Community size adjustment (社区规模调整): ``/analyses/communities``, ``/maps/communities``
and ``mzgis communities``."""
