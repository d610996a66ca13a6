"""The cost matrix: the seam between geometry and optimisation.

Coverage, siting and zones all meet here. A :class:`CostMatrix` holds the distances in
metres from every demand unit (rows) to every facility or candidate site (columns), kept
only for pairs within a cutoff, as a CSR matrix with **explicit** entries: an explicit 0.0
is a distance of zero (a demand point on a facility), an absent entry is "beyond the cutoff
or unreachable". Never call ``eliminate_zeros()`` on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import AnalysisError

__all__ = ["CostMatrix", "Mode"]

Mode = Literal["euclidean", "network"]


@dataclass(frozen=True)
class CostMatrix:
    """Distances (m) from demand rows to facility columns within ``cutoff_m``.

    Attributes
    ----------
    matrix
        ``scipy.sparse.csr_array`` of shape (n_demand, n_facilities), float64 metres,
        explicit entries only for pairs within the cutoff (explicit zeros are real zeros).
    demand_ids, facility_ids
        Ids of the rows and columns, in order.
    cutoff_m
        The largest distance kept (``inf`` if none).
    mode
        ``"euclidean"`` (straight line in a projected CRS) or ``"network"`` (walking).
    """

    matrix: sp.csr_array
    demand_ids: NDArray[np.object_]
    facility_ids: NDArray[np.object_]
    cutoff_m: float
    mode: Mode

    def __post_init__(self) -> None:
        n, m = self.matrix.shape
        if n != len(self.demand_ids) or m != len(self.facility_ids):
            msg = (
                f"matrix shape {self.matrix.shape} does not match"
                f" {len(self.demand_ids)} demand ids and {len(self.facility_ids)} facility ids"
            )
            raise AnalysisError(msg)

    @property
    def shape(self) -> tuple[int, int]:
        n, m = self.matrix.shape
        return int(n), int(m)

    @classmethod
    def from_dense(
        cls,
        dense: NDArray[np.float64],
        *,
        cutoff_m: float = np.inf,
        demand_ids: NDArray[np.object_] | None = None,
        facility_ids: NDArray[np.object_] | None = None,
        mode: Mode = "euclidean",
    ) -> CostMatrix:
        """Build from a dense array (``inf``/``nan`` = unreachable), keeping pairs
        ``<= cutoff_m``."""
        d = np.asarray(dense, dtype=float)
        keep = np.isfinite(d) & (d <= cutoff_m)
        rows, cols = np.nonzero(keep)
        matrix = sp.csr_array((d[rows, cols], (rows, cols)), shape=d.shape)
        matrix.sort_indices()
        n, m = d.shape
        return cls(
            matrix,
            np.arange(n).astype(object)
            if demand_ids is None
            else np.asarray(demand_ids, dtype=object),
            np.arange(m).astype(object)
            if facility_ids is None
            else np.asarray(facility_ids, dtype=object),
            float(cutoff_m),
            mode,
        )

    def within(self, radius_m: float) -> sp.csr_array:
        """Boolean CSR of pairs with distance ``<= radius_m`` (must be ``<= cutoff_m``)."""
        if radius_m > self.cutoff_m:
            msg = f"radius {radius_m} m exceeds the matrix cutoff {self.cutoff_m} m"
            raise AnalysisError(msg)
        m = self.matrix
        keep = m.data <= radius_m
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        return sp.csr_array(
            (np.ones(int(keep.sum()), dtype=bool), (rows[keep], m.indices[keep])), shape=m.shape
        )
