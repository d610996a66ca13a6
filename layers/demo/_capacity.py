"""Station shares of the demo: which communities each estimated station would serve, so its
capacity can be sized to them.

Every community goes to the station nearest to it *within its street*, measured along the
chain of neighbouring communities (a shortest path over rook-adjacent communities, edge
length the distance between their centroids, in metres); a station's own community is its
own. Measured that way the shares are contiguous zones that contain their station, so a
responsibility-zone plan that meets a band around capacities sized to them exists.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from layers.demo._common import MEASURE_CRS

__all__ = ["station_shares"]

#: shared boundary (m) above which two communities are neighbours (rook contiguity)
_ROOK_MIN_M = 1e-6


def _rook_edges(geoms: NDArray[np.object_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Pairs ``(a, b)``, ``a < b``, of polygons sharing an edge of positive length."""
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    half = a < b
    a, b = a[half], b[half]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[a]), shapely.boundary(geoms[b]))
    )
    keep = shared > _ROOK_MIN_M
    return a[keep].astype(np.intp), b[keep].astype(np.intp)


def station_shares(communities: gpd.GeoDataFrame, rows: NDArray[np.intp]) -> NDArray[np.intp]:
    """The station (index into ``rows``) that serves each community.

    Parameters
    ----------
    communities
        Community polygons with ``street_code``.
    rows
        The community of every station (distinct, sorted).

    Returns
    -------
    numpy.ndarray
        One station index per community: the nearest station of the community's street
        along neighbouring communities (see the module docstring), or by straight line for a
        community that no station of its street reaches that way.
    """
    projected = communities.geometry.to_crs(MEASURE_CRS).to_numpy()
    street = communities["street_code"].to_numpy(dtype=str)
    centres = shapely.get_coordinates(shapely.centroid(projected))
    a, b = _rook_edges(projected)
    same = street[a] == street[b]
    a, b = a[same], b[same]
    n = len(projected)
    length = np.hypot(*(centres[a] - centres[b]).T)
    graph = sp.csr_array((length, (a, b)), shape=(n, n))
    dist, _, source = dijkstra(
        graph, directed=False, indices=rows, min_only=True, return_predecessors=True
    )
    station = np.full(n, -1, dtype=np.intp)
    station[rows] = np.arange(rows.size)
    reached = np.isfinite(dist) & (source >= 0)
    station[reached] = np.searchsorted(rows, source[reached])
    lost = np.flatnonzero(station < 0)
    if lost.size:
        gap = np.hypot(*(centres[lost][:, None, :] - centres[rows][None, :, :]).transpose(2, 0, 1))
        gap[street[lost][:, None] != street[rows][None, :]] = np.inf
        station[lost] = np.argmin(gap, axis=1)
    return station
